package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// Changes reads the change log. Row triggers write it (migration
// 20261123000006_changes) in the transaction of every write; inTx names the
// caller's key for them.
type Changes struct {
	db *bun.DB
}

// inTx runs fn in a transaction whose change events carry the caller's key
// name ("system" outside a request: the CLI, migrations). Every write in
// package db goes through it.
func inTx(ctx context.Context, db bun.IDB, fn func(ctx context.Context, tx bun.Tx) error) error {
	return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('cartograph.key_name', ?, true)", keyName(ctx)); err != nil {
			return err
		}
		return fn(ctx, tx)
	})
}

// execTx runs one writing statement through inTx and returns how many rows
// it touched: the shape of most single-statement writes.
func execTx(ctx context.Context, db bun.IDB, exec func(ctx context.Context, tx bun.Tx) (sql.Result, error)) (int64, error) {
	var n int64
	err := inTx(ctx, db, func(ctx context.Context, tx bun.Tx) error {
		res, err := exec(ctx, tx)
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	return n, err
}

func keyName(ctx context.Context) string {
	if a := cartograph.ActorFrom(ctx); a != nil && a.KeyName != "" {
		return a.KeyName
	}
	return "system"
}

// summarise appends one event that stands for many rows (a costs batch, an
// import), in the caller's transaction; its object id is a fresh UUID.
func summarise(ctx context.Context, tx bun.Tx, org string, op cartograph.ChangeOp, typ cartograph.ObjectType, after any) error {
	b, err := json.Marshal(after)
	if err != nil {
		return err
	}
	_, err = tx.NewRaw(`INSERT INTO changes (org_id, key_name, operation, object_type, object_id, after)
		VALUES (?, ?, ?, ?, gen_random_uuid()::text, ?::jsonb)`,
		org, keyName(ctx), op, typ, string(b)).Exec(ctx)
	return err
}

type changeRow struct {
	Seq        int64           `bun:"seq"`
	At         time.Time       `bun:"at"`
	OrgID      string          `bun:"org_id"`
	KeyName    string          `bun:"key_name"`
	Operation  string          `bun:"operation"`
	ObjectType string          `bun:"object_type"`
	ObjectID   string          `bun:"object_id"`
	EntityType *string         `bun:"entity_type"`
	Refs       []string        `bun:"refs,array"`
	Before     json.RawMessage `bun:"before,type:jsonb"`
	After      json.RawMessage `bun:"after,type:jsonb"`
}

const changeColumns = "seq, at, org_id, key_name, operation, object_type, object_id, entity_type, refs, before, after"

func (r *changeRow) change() *cartograph.Change {
	c := &cartograph.Change{
		Seq: r.Seq, At: r.At.UTC(), OrgID: r.OrgID, KeyName: r.KeyName, Operation: cartograph.ChangeOp(r.Operation),
		ObjectType: cartograph.ObjectType(r.ObjectType), ObjectID: r.ObjectID, Refs: r.Refs,
		Before: nullJSON(r.Before), After: nullJSON(r.After),
	}
	if r.EntityType != nil {
		c.EntityType = *r.EntityType
	}
	return c
}

func changesOf(rows []changeRow) []*cartograph.Change {
	out := make([]*cartograph.Change, len(rows))
	for i := range rows {
		out[i] = rows[i].change()
	}
	return out
}

func nullJSON(b json.RawMessage) json.RawMessage {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	return b
}

// List returns a page of the caller's org's change log in seq order (or
// newest first) and whether more follow.
func (s *Changes) List(ctx context.Context, q cartograph.ChangeQuery) ([]*cartograph.Change, bool, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, false, err
	}
	if err := q.Validate(); err != nil {
		return nil, false, err
	}
	sel := s.db.NewSelect().ColumnExpr(changeColumns).TableExpr("changes").
		Where("org_id = ? AND seq IS NOT NULL", a.OrgID)
	if len(q.ObjectTypes) > 0 {
		sel.Where("object_type = ANY(?::text[])", pgArray(q.ObjectTypes))
	}
	if len(q.Operations) > 0 {
		sel.Where("operation = ANY(?::text[])", pgArray(q.Operations))
	}
	if q.KeyName != "" {
		sel.Where("key_name = ?", q.KeyName)
	}
	if q.About != "" {
		sel.Where("(object_id = ? OR refs @> ARRAY[?]::text[])", q.About, q.About)
	}
	if !q.Since.IsZero() {
		sel.Where("at >= ?", q.Since)
	}
	if !q.Until.IsZero() {
		sel.Where("at < ?", q.Until)
	}
	if q.NewestFirst {
		if q.After > 0 {
			sel.Where("seq < ?", q.After)
		}
		sel.Order("seq DESC")
	} else {
		sel.Where("seq > ?", q.After).Order("seq")
	}
	var rows []changeRow
	if err := sel.Limit(int64(q.Limit)+1).Scan(ctx, &rows); err != nil {
		return nil, false, wrap(err)
	}
	more := len(rows) > q.Limit
	if more {
		rows = rows[:q.Limit]
	}
	return changesOf(rows), more, nil
}

// Since returns up to limit events of every org past seq, in order: what a
// server's subscription hub reads when PostgreSQL notifies it.
func (s *Changes) Since(ctx context.Context, seq int64, limit int) ([]*cartograph.Change, error) {
	var rows []changeRow
	err := s.db.NewSelect().ColumnExpr(changeColumns).TableExpr("changes").
		Where("seq > ?", seq).Order("seq").Limit(int64(limit)).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	return changesOf(rows), nil
}

// Latest returns the newest seq, 0 for an empty log.
func (s *Changes) Latest(ctx context.Context) (int64, error) {
	var n int64
	err := s.db.NewRaw("SELECT coalesce(max(seq), 0) FROM changes").Scan(ctx, &n)
	return n, wrap(err)
}

// EntitiesAsOf returns the org's entities with those ids as they were at
// time at. It starts from each entity as it is now (or, if deleted since, as
// its delete event left it) and undoes every later change, newest first, by
// merging their before values; an entity created after at is absent. So the
// answer needs only the events after at, which retention keeps.
func (s *Changes) EntitiesAsOf(ctx context.Context, ids []string, at time.Time) (map[string]*cartograph.Entity, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []entityRow
	// One pass over each entity's events: those after at are undone, the
	// newest one up to at gives updatedAt.
	err = s.db.NewRaw(`SELECT e.* FROM unnest(?0::uuid[]) AS i(id)
		LEFT JOIN entities cur ON cur.org_id = ?1 AND cur.id = i.id
		CROSS JOIN LATERAL (
			SELECT count(*) FILTER (WHERE at > ?2) AS later,
			       jsonb_merge(before ORDER BY seq DESC) FILTER (WHERE at > ?2) AS undo,
			       bool_or(operation = 'create') FILTER (WHERE at > ?2) AS born,
			       max(at) FILTER (WHERE at <= ?2) AS last_at
			FROM changes
			WHERE org_id = ?1 AND object_id = i.id::text AND object_type = 'entity' AND seq IS NOT NULL) h
		CROSS JOIN LATERAL jsonb_populate_record(null::entities,
			coalesce(to_jsonb(cur), '{}') || h.undo ||
			jsonb_build_object('org_id', ?1::text, 'search_text', '', 'updated_at', coalesce(h.last_at, cur.updated_at))) e
		WHERE (cur.id IS NOT NULL OR h.later > 0) AND NOT coalesce(h.born, false)`,
		pgArray(ids), a.OrgID, at).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	return entitiesByID(rows), nil
}

// Prune deletes events older than before (retention); it returns how many.
func (s *Changes) Prune(ctx context.Context, before time.Time) (int64, error) {
	n, err := execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		if _, err := tx.ExecContext(ctx, "SELECT set_config('cartograph.retention', 'on', true)"); err != nil {
			return nil, err
		}
		return tx.NewRaw("DELETE FROM changes WHERE at < ? AND seq IS NOT NULL", before).Exec(ctx)
	})
	return n, wrap(err)
}

// Matching returns which of the changed entities match q: ids of entities
// created or updated, matched as they are now, and seqs of delete events,
// matched against the state the delete recorded, in one statement. The
// subscription hub asks once per batch of events and distinct filter.
func (s *Entities) Matching(ctx context.Context, q cartograph.EntityQuery, ids []string, deletes []int64) (map[string]bool, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var parts []*bun.SelectQuery
	if len(ids) > 0 {
		parts = append(parts, s.db.NewSelect().Model((*entityRow)(nil)).Column("e.id").
			Where("e.org_id = ? AND e.id = ANY(?::uuid[])", a.OrgID, pgArray(ids)))
	}
	if len(deletes) > 0 {
		seqs := make([]string, len(deletes))
		for i, n := range deletes {
			seqs[i] = strconv.FormatInt(n, 10)
		}
		parts = append(parts, s.db.NewSelect().
			TableExpr("changes AS c").
			TableExpr("jsonb_populate_record(null::entities, c.before || jsonb_build_object('org_id', c.org_id)) AS e").
			ColumnExpr("e.id").
			Where("c.org_id = ? AND c.seq = ANY(?::bigint[])", a.OrgID, pgArray(seqs)))
	}
	out := map[string]bool{}
	if len(parts) == 0 {
		return out, nil
	}
	for _, p := range parts {
		if err := whereQuery(p, q); err != nil {
			return nil, err
		}
	}
	sel := parts[0]
	if len(parts) == 2 {
		sel = sel.UnionAll(parts[1])
	}
	var found []string
	if err := sel.Scan(ctx, &found); err != nil {
		return nil, wrap(err)
	}
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
