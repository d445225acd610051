package db

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// ImportCounts says what an import wrote and what it skipped.
type ImportCounts struct {
	Entities         int `json:"entities"`
	SkippedEntities  int `json:"skippedEntities"`
	Relations        int `json:"relations"`
	SkippedRelations int `json:"skippedRelations"`
	Costs            int `json:"costs"`
	SkippedCosts     int `json:"skippedCosts"`

	// Refused lists the entity lines skipped, in file order, with the rule
	// each broke. The relations and cost rows skipped with them are only
	// counted.
	Refused []RefusedEntity `json:"refused,omitempty"`
}

// RefusedEntity is an entity line an import skipped because it would take
// a key that an earlier line, or the catalog, already holds.
type RefusedEntity struct {
	Line int    `json:"line"`
	ID   string `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
	Rule string `json:"rule"` // RuleID, RuleName or RuleIdentity
}

// The uniqueness rules an imported entity can break (CONTRACT.md §4).
const (
	RuleID       = "id taken"
	RuleName     = "name taken"              // (org, type, lower(name)), every type but resource
	RuleIdentity = "resource identity taken" // (org, provider, providerAccountId, providerResourceKey)
)

// ImportSource is what an import reads: the shared generator's NDJSON files
// (costs may be nil), and an optional progress callback called after each
// phase.
type ImportSource struct {
	Entities, Relations, Costs io.Reader
	Progress                   func(ImportPhase)
}

// ImportPhase reports one finished phase of an import.
type ImportPhase struct {
	Name     string // entities, relations, costs, services (their daily costs), vacuum (statistics and visibility)
	Rows     int    // rows written
	Skipped  int
	Duration time.Duration
}

// Import loads catalog NDJSON into the caller's org in one transaction.
// Each entity goes through the API's validator and keeps its id; relations
// must join two imported entities in an allowed pair. Rows stream into
// temporary tables with COPY and move into the catalog with one set-based
// INSERT per kind, which skips rows that break a uniqueness rule (a name
// taken, a resource identity seen before, a duplicate relation): those are
// counted as skipped. Row triggers are off for the bulk; the import logs
// one summary event instead. A line that fails validation aborts it all.
func (d *DB) Import(ctx context.Context, src ImportSource) (*ImportCounts, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	counts := &ImportCounts{}
	// COPY runs on the transaction's own connection, so it is part of it.
	conn, err := d.bun.Conn(ctx)
	if err != nil {
		return nil, wrap(err)
	}
	defer conn.Close()
	err = inTx(ctx, conn, func(ctx context.Context, tx bun.Tx) error {
		// A synchronous commit, whatever the server's default: the VACUUM
		// below can mark a page all-visible only once the commit record is
		// flushed (until then no hint bit is set), and an import that says
		// "imported" should be durable anyway.
		if _, err := tx.ExecContext(ctx, "SELECT set_config('cartograph.bulk', 'on', true), set_config('synchronous_commit', 'on', true)"); err != nil {
			return err
		}
		if err := skipRowTriggers(ctx, tx, true); err != nil {
			return err
		}
		totals := newServiceTotals()
		summed := src.Costs == nil // every cost went through totals
		phase := func(name string, rows, skipped *int, run func() error) error {
			start := time.Now()
			if err := run(); err != nil {
				return err
			}
			if src.Progress != nil {
				src.Progress(ImportPhase{Name: name, Rows: *rows, Skipped: *skipped, Duration: time.Since(start)})
			}
			return nil
		}
		var types map[string]cartograph.EntityType
		err := phase("entities", &counts.Entities, &counts.SkippedEntities, func() (err error) {
			types, err = importEntities(ctx, tx, conn, a, src.Entities, counts)
			return err
		})
		if err != nil {
			return err
		}
		err = phase("relations", &counts.Relations, &counts.SkippedRelations, func() error {
			return importRelations(ctx, tx, conn, a.OrgID, src.Relations, types, totals, counts)
		})
		if err == nil && src.Costs != nil {
			err = phase("costs", &counts.Costs, &counts.SkippedCosts, func() (err error) {
				summed, err = importCosts(ctx, tx, conn, a.OrgID, src.Costs, types, totals, counts)
				return err
			})
		}
		if err != nil {
			return err
		}
		var services int
		err = phase("services", &services, new(int), func() (err error) {
			// The service-cost triggers step aside under cartograph.bulk
			// (migration 10), whoever imports: the import fills the table.
			if summed {
				services, err = totals.copyTo(ctx, conn, a.OrgID)
			} else { // the costs took the staging path, past totals
				services, err = refreshServiceCosts(ctx, tx, a.OrgID)
			}
			return err
		})
		if err != nil {
			return err
		}
		// The summary event is a row like any other: its triggers sequence
		// it and wake subscribers.
		if err := skipRowTriggers(ctx, tx, false); err != nil {
			return err
		}
		return summarise(ctx, tx, a.OrgID, cartograph.OpCreate, cartograph.ObjectImport, counts)
	})
	if err != nil {
		return nil, wrap(err)
	}
	// Fresh statistics now rather than at autovacuum's next visit: planned
	// with stale ones, the filter queries took seconds instead of
	// milliseconds. VACUUM also marks the new pages all-visible, which the
	// relation loaders' and cost rollups' index-only scans need. It runs over
	// all three tables before ANALYZE: ANALYZE commits its statistics, and
	// under synchronous_commit=off that commit leaves the import's xids
	// (clog keeps one commit LSN per 32) unflushed for a moment, in which
	// VACUUM may set no hint bit and so mark no page all-visible.
	start := time.Now()
	for _, stmt := range []string{"VACUUM entities, relations, costs, service_costs", "ANALYZE entities, relations, costs, service_costs"} {
		if _, err := d.bun.ExecContext(ctx, stmt); err != nil {
			return nil, wrap(err)
		}
	}
	if src.Progress != nil {
		n := counts.Entities + counts.Relations + counts.Costs
		src.Progress(ImportPhase{Name: "vacuum", Rows: n, Duration: time.Since(start)})
	}
	return counts, nil
}

// refreshServiceCosts fills service_costs (migration 9) for the services
// this import gave environments, whose triggers step aside for the bulk
// (migration 10); it returns how many services that was.
func refreshServiceCosts(ctx context.Context, tx bun.Tx, org string) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, `WITH s AS (
			SELECT DISTINCT ?::text AS org_id, source_id::uuid AS id FROM import_relations WHERE label = 'has_environment')
		SELECT count(*), refresh_service_costs(array_agg(org_id), array_agg(id), array_fill(NULL::date, ARRAY[count(*)::int]))::text
		FROM s HAVING count(*) > 0`, org).Scan(&n, new(string))
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}

// skipRowTriggers turns the transaction's row triggers off (or back on)
// when the session may: session_replication_role = replica, as pg_restore
// --disable-triggers does, which needs a superuser; others keep them. The
// import needs neither kind. Its relations and costs refer only to
// entities it inserted itself (the ids INSERT ... RETURNING gave back),
// which no other session can see, let alone delete, before the commit, so
// the per-row foreign-key checks (~15 % of the relations and costs phases)
// would prove nothing more; and the change-log triggers would return at
// once under cartograph.bulk. The keys and unique indexes still apply.
func skipRowTriggers(ctx context.Context, tx bun.Tx, skip bool) error {
	role := "origin"
	if skip {
		role = "replica"
	}
	_, err := tx.ExecContext(ctx, `SELECT set_config('session_replication_role', ?, true)
		WHERE current_setting('is_superuser') = 'on'`, role)
	return err
}

// lines iterates over the non-blank lines of r, numbering them for errors.
type lines struct {
	sc  *bufio.Scanner
	n   int
	err error // the error that stopped the COPY this feeds
}

func newLines(r io.Reader) *lines {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	return &lines{sc: sc}
}

func (l *lines) next() ([]byte, bool) {
	for l.sc.Scan() {
		l.n++
		if len(bytes.TrimSpace(l.sc.Bytes())) > 0 {
			return l.sc.Bytes(), true
		}
	}
	return nil, false
}

// fail prefixes a validation error with the line it came from and keeps
// it: COPY reports a source's error as its own, and the caller wants ours.
func (l *lines) fail(err error) error {
	var ce *cartograph.Error
	if errors.As(err, &ce) && ce.Code != cartograph.Internal {
		err = &cartograph.Error{Code: ce.Code, Message: fmt.Sprintf("line %d: %s", l.n, ce.Message), Problems: ce.Problems}
	}
	l.err = err
	return err
}

// copyInto streams rows into a table with COPY, on the connection whose
// transaction is open, and returns the error that stopped the source, if
// one did (COPY reports a source's error as its own).
func copyInto(ctx context.Context, conn bun.Conn, table string, columns []string, in *lines, next func() ([]any, error)) error {
	err := copyRows(ctx, conn, table, columns, pgx.CopyFromFunc(next))
	if err != nil && in.err != nil {
		return in.err
	}
	return err
}

// copyBinary COPYs the rows next writes into table on the import's
// connection (so inside its transaction), as copyInto does.
func copyBinary(ctx context.Context, conn bun.Conn, in *lines, table string, columns []string, next func(*binaryCopy) (bool, error)) error {
	sql := fmt.Sprintf("COPY %s (%s) FROM STDIN (FORMAT binary)", pgx.Identifier{table}.Sanitize(), strings.Join(columns, ", "))
	err := conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().PgConn().CopyFrom(ctx, newCopyStream(next), sql)
		return err
	})
	if err != nil && in != nil && in.err != nil {
		return in.err
	}
	return err
}

// copyRows COPYs src into table on the import's connection (so inside its
// transaction).
func copyRows(ctx context.Context, conn bun.Conn, table string, columns []string, src pgx.CopyFromSource) error {
	return conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, src)
		return err
	})
}

// Staging tables for relations and costs have text columns: COPY then moves
// text, and PostgreSQL casts once in the INSERT (pgx's binary encoding of
// strings into uuid, date and numeric made the costs COPY five times slower).

// importRelations copies the relations whose ends were imported and whose
// pair is allowed into a staging table, then inserts them, skipping
// duplicates.
func importRelations(ctx context.Context, tx bun.Tx, conn bun.Conn, org string, r io.Reader, types map[string]cartograph.EntityType,
	totals *serviceTotals, counts *ImportCounts,
) error {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_relations (source_id text, target_id text, label text) ON COMMIT DROP`); err != nil {
		return err
	}
	in := newLines(r)
	staged := 0
	err := copyInto(ctx, conn, "import_relations", []string{"source_id", "target_id", "label"}, in, func() ([]any, error) {
		for {
			line, ok := in.next()
			if !ok {
				return nil, in.sc.Err()
			}
			var rel struct {
				SourceEntityID, TargetEntityID, Label string
			}
			if err := json.Unmarshal(line, &rel); err != nil {
				return nil, in.fail(cartograph.Errorf(cartograph.Invalid, "not a relation object"))
			}
			st, ok1 := types[rel.SourceEntityID]
			tt, ok2 := types[rel.TargetEntityID]
			if !ok1 || !ok2 || cartograph.CheckRelation(st, rel.Label, "", tt) != nil {
				counts.SkippedRelations++
				continue
			}
			staged++
			totals.relation(rel.SourceEntityID, rel.TargetEntityID, rel.Label)
			return []any{rel.SourceEntityID, rel.TargetEntityID, rel.Label}, nil
		}
	})
	if err != nil {
		return err
	}
	// The target's columns are copied here (migration 13): the row trigger
	// that would copy them is off for an import run as superuser. Rows go in
	// in the order of relations_targets_by_name, which relations_key shares
	// up to the label, so those two indexes fill page after page (scale 10:
	// 13.5 → 11.2 s for the INSERT).
	const insert = `INSERT INTO relations (org_id, source_id, target_id, label, target_type, target_name, target_provider)
		SELECT ?, s.source_id::uuid, s.target_id::uuid, s.label, e.type, e.name, e.provider
		FROM import_relations s JOIN entities e ON e.org_id = ? AND e.id = s.target_id::uuid
		ORDER BY s.source_id::uuid, s.label, e.type, e.name COLLATE "C"`
	n, err := insertStaged(ctx, tx, insert, insert+` ON CONFLICT DO NOTHING`, org, org)
	if err != nil {
		return err
	}
	counts.Relations = int(n)
	counts.SkippedRelations += staged - counts.Relations
	return nil
}

// importCosts copies the cost rows of imported resources into the catalog,
// one row per (resource, date, operation): of lines that repeat one, the
// last wins. It reports whether they went straight in (copyCosts), and so
// through totals, rather than through the staging table.
func importCosts(ctx context.Context, tx bun.Tx, conn bun.Conn, org string, r io.Reader, types map[string]cartograph.EntityType,
	totals *serviceTotals, counts *ImportCounts,
) (direct bool, err error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		if done, err := copyCosts(ctx, tx, conn, org, rs, types, totals, counts); done || err != nil {
			return done, err
		}
		// The file repeats a key: read it again through the staging table.
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return false, err
		}
		counts.Costs, counts.SkippedCosts = 0, 0
	}
	return false, stageCosts(ctx, tx, conn, org, r, types, counts)
}

// stageCosts copies the cost lines into a staging table as text, then
// inserts them, deduplicating only if the file repeats a key.
func stageCosts(ctx context.Context, tx bun.Tx, conn bun.Conn, org string, r io.Reader, types map[string]cartograph.EntityType, counts *ImportCounts) error {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_costs (line int, resource_id text, date text, operation text, cost text) ON COMMIT DROP`); err != nil {
		return err
	}
	in := newLines(r)
	err := copyInto(ctx, conn, "import_costs", []string{"line", "resource_id", "date", "operation", "cost"}, in,
		func() ([]any, error) {
			c, ok, err := nextCost(in, types, counts)
			if !ok || err != nil {
				return nil, err
			}
			return []any{in.n, c.ResourceID, c.Date, c.Operation, c.Cost}, nil
		})
	if err != nil {
		return err
	}
	n, err := insertStaged(ctx, tx,
		`INSERT INTO costs (org_id, resource_id, date, operation, cost)
		SELECT ?, resource_id::uuid, date::date, operation, cost::numeric(14,4) FROM import_costs`,
		`INSERT INTO costs (org_id, resource_id, date, operation, cost)
		SELECT DISTINCT ON (resource_id, date, operation) ?, resource_id::uuid, date::date, operation, cost::numeric(14,4) FROM import_costs
		ORDER BY resource_id, date, operation, line DESC`,
		org)
	if err != nil {
		return err
	}
	counts.Costs = int(n)
	return nil
}

// copyCosts is the costs phase for a file that repeats no (resource, date,
// operation), as the generator's never does: it copies the lines of
// imported resources straight into costs, typed, sparing the staging
// table's write, read and casts (~40 % of the phase). If the file does
// repeat a key, it undoes its work (totals too) and reports false, and
// importCosts reads the file again through the staging table, which keeps
// the last line.
func copyCosts(ctx context.Context, tx bun.Tx, conn bun.Conn, org string, r io.Reader, types map[string]cartograph.EntityType,
	totals *serviceTotals, counts *ImportCounts,
) (bool, error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT import_costs"); err != nil {
		return false, err
	}
	in := newLines(r)
	copied := 0
	err := copyBinary(ctx, conn, in, "costs", []string{"org_id", "resource_id", "date", "operation", "cost"}, func(b *binaryCopy) (bool, error) {
		c, ok, err := nextCost(in, types, counts)
		if !ok || err != nil {
			return false, err
		}
		cost, err := tenThousandths(c.Cost)
		if err == nil {
			err = costRow(b, org, c, cost)
		}
		if err != nil {
			return false, in.fail(cartograph.Errorf(cartograph.Invalid, "%v", err))
		}
		copied++
		totals.cost(c, cost)
		return true, nil
	})
	if isUniqueViolation(err, "") {
		totals.reset()
		_, err = tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT import_costs")
		return false, err
	}
	if err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT import_costs"); err != nil {
		return false, err
	}
	counts.Costs = copied
	return true, nil
}

// nextCost reads the next cost line of an imported resource; lines of
// other ids count as skipped, and a line that is not a valid cost stops
// the import. It reports false at the end of the file.
func nextCost(in *lines, types map[string]cartograph.EntityType, counts *ImportCounts) (cartograph.Cost, bool, error) {
	for {
		line, ok := in.next()
		if !ok {
			return cartograph.Cost{}, false, in.sc.Err()
		}
		c, err := cartograph.ParseCostRow(line)
		if err != nil {
			return c, false, in.fail(cartograph.Errorf(cartograph.Invalid, "%v", err))
		}
		if types[c.ResourceID] != cartograph.Resource {
			counts.SkippedCosts++
			continue
		}
		return c, true, nil
	}
}

// costRow appends a cost row in COPY's binary format, typed, so the
// database parses no text. cost is c.Cost in 1/10000ths.
func costRow(b *binaryCopy, org string, c cartograph.Cost, cost int64) error {
	date, err := cartograph.ParseDate(c.Date)
	if err != nil {
		return err
	}
	b.row(5)
	b.text(org)
	if err := b.uuid(c.ResourceID); err != nil {
		return err
	}
	b.date(date)
	b.text(c.Operation)
	b.numeric4(cost)
	return nil
}

// tenThousandths reads a cost as ParseCostRow writes it, with exactly four
// decimal places, as an exact integer of 1/10000ths.
func tenThousandths(cost string) (int64, error) {
	whole, frac, ok := strings.Cut(cost, ".")
	if !ok || len(frac) != 4 {
		return 0, fmt.Errorf("cost %q has not 4 decimal places", cost)
	}
	return strconv.ParseInt(whole+frac, 10, 64)
}

// insertStaged moves staged relations or costs into the catalog and returns
// how many rows it wrote. Both belong to entities this import inserted, so
// no row already in the catalog can share their keys: only a file that
// repeats a key can break uniqueness. The plain insert is tried first; if it
// does, the deduplicating one runs instead. That spares the common case the
// sort and the speculative insertion that deduplication costs (a fifth of
// the costs phase).
func insertStaged(ctx context.Context, tx bun.Tx, plain, dedupe string, args ...any) (int64, error) {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT import_staged"); err != nil {
		return 0, err
	}
	res, err := tx.NewRaw(plain, args...).Exec(ctx)
	if isUniqueViolation(err, "") {
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT import_staged"); err != nil {
			return 0, err
		}
		res, err = tx.NewRaw(dedupe, args...).Exec(ctx)
	}
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT import_staged"); err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
