package db

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"cartograph/cartograph"
)

var entityCopyColumns = []string{"org_id", "id", "type", "name", "description", "tags", "meta_tags", "links", "permissions",
	"general_access", "origin", "created_by", "last_changed_by", "provider", "provider_type", "provider_resource_key",
	"provider_resource_type", "provider_account_id", "location", "attrs", "search_text"}

// importEntities validates each entity line and writes what breaks no
// uniqueness rule. It returns the types of the entities inserted, by id.
func importEntities(ctx context.Context, tx bun.Tx, conn bun.Conn, a *cartograph.Actor, r io.Reader, counts *ImportCounts) (map[string]cartograph.EntityType, error) {
	if rs, ok := r.(io.ReadSeeker); ok {
		if types, done, err := copyEntities(ctx, tx, conn, a, rs, counts); done || err != nil {
			return types, err
		}
		// A line takes a key the catalog already holds: read the file again
		// through the staging table, which the database deduplicates.
		if _, err := rs.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	return stageEntities(ctx, tx, conn, a, r, counts)
}

// copyEntities is the entities phase when the org holds none of the
// file's keys, as for a first import: the file's own repeats are skipped
// here (entityKeys), and the rest are COPYed straight into entities,
// sparing the staging table's write and read and the speculative insertion
// of ON CONFLICT (together ~40 % of the phase). If a row does take a key
// already in the catalog, it undoes its work and reports false.
func copyEntities(ctx context.Context, tx bun.Tx, conn bun.Conn, a *cartograph.Actor, r io.Reader, counts *ImportCounts) (map[string]cartograph.EntityType, bool, error) {
	var asciiFolds bool
	if err := tx.QueryRowContext(ctx, "SELECT lower('AZ') = 'az'").Scan(&asciiFolds); err != nil || !asciiFolds {
		return nil, false, err // a database whose lower() entityKeys does not know
	}
	if _, err := tx.ExecContext(ctx, "SAVEPOINT import_entities"); err != nil {
		return nil, false, err
	}
	in := newLines(r)
	keys := entityKeys{}
	types := map[string]cartograph.EntityType{}
	perType := map[string]int64{}
	var refused []RefusedEntity
	err := copyInto(ctx, conn, "entities", entityCopyColumns, in, func() ([]any, error) {
		for {
			row, ok, err := nextEntity(in, a)
			if !ok || err != nil {
				return nil, err
			}
			if rule := keys.add(row); rule != "" {
				refused = append(refused, RefusedEntity{Line: in.n, ID: row.ID, Type: row.Type, Name: row.Name, Rule: rule})
				continue
			}
			types[strings.ToLower(row.ID)] = cartograph.EntityType(row.Type)
			perType[row.Type]++
			return entityValues(row), nil
		}
	})
	if isUniqueViolation(err, "") {
		_, err = tx.ExecContext(ctx, "ROLLBACK TO SAVEPOINT import_entities")
		return nil, false, err
	}
	if err != nil {
		return nil, false, err
	}
	if _, err := tx.ExecContext(ctx, "RELEASE SAVEPOINT import_entities"); err != nil {
		return nil, false, err
	}
	counts.Entities, counts.SkippedEntities, counts.Refused = len(types), len(refused), refused
	return types, true, addEntityCounts(ctx, tx, a.OrgID, perType)
}

// entityKeys holds the unique keys of the entities an import has taken,
// to skip a line that repeats one as ON CONFLICT DO NOTHING would: the id,
// a non-resource's type and lower-cased name, a resource's identity. It
// folds only ASCII names (a database's lower() may fold others otherwise)
// and keeps the rest as written, so it may let two lines through that the
// database thinks the same, never the other way round; the unique
// violation that follows sends the import down the exact path.
type entityKeys map[[4]string]bool

// add takes row's keys, or returns the rule of the first it finds taken.
func (k entityKeys) add(row *entityRow) (rule string) {
	keys := [2][4]string{{"id", strings.ToLower(row.ID)}}
	if row.Type == string(cartograph.Resource) {
		keys[1] = [4]string{"resource", row.Provider, row.ProviderAccountID, row.ProviderResourceKey}
	} else {
		keys[1] = [4]string{"name", row.Type, asciiLower(row.Name)}
	}
	switch {
	case k[keys[0]]:
		return RuleID
	case k[keys[1]]:
		return keyRule(row.Type)
	}
	k[keys[0]], k[keys[1]] = true, true
	return ""
}

// keyRule is the rule an entity of type typ breaks when its key other than
// the id is taken: a resource's identity, any other type's name.
func keyRule(typ string) string {
	if typ == string(cartograph.Resource) {
		return RuleIdentity
	}
	return RuleName
}

// asciiLower lower-cases s if it is all ASCII, and leaves it as it is
// otherwise.
func asciiLower(s string) string {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return s
		}
	}
	return strings.ToLower(s)
}

// stageEntities copies the entity lines into a staging table, then inserts
// what breaks no uniqueness rule, in file order, the first of a key
// winning.
func stageEntities(ctx context.Context, tx bun.Tx, conn bun.Conn, a *cartograph.Actor, r io.Reader, counts *ImportCounts) (map[string]cartograph.EntityType, error) {
	if _, err := tx.ExecContext(ctx, `CREATE TEMP TABLE import_entities (LIKE entities INCLUDING DEFAULTS) ON COMMIT DROP`); err != nil {
		return nil, err
	}
	in := newLines(r)
	var lineNos []int // of the staged rows, in their order
	err := copyInto(ctx, conn, "import_entities", entityCopyColumns, in, func() ([]any, error) {
		row, ok, err := nextEntity(in, a)
		if !ok || err != nil {
			return nil, err
		}
		lineNos = append(lineNos, in.n)
		return entityValues(row), nil
	})
	if err != nil {
		return nil, err
	}
	var inserted []stagedEntity
	if err := tx.NewRaw(`INSERT INTO entities SELECT * FROM import_entities ON CONFLICT DO NOTHING RETURNING id, type, name`).Scan(ctx, &inserted); err != nil {
		return nil, err
	}
	types := make(map[string]cartograph.EntityType, len(inserted))
	perType := map[string]int64{}
	for _, e := range inserted {
		types[e.ID] = cartograph.EntityType(e.Type)
		perType[e.Type]++
	}
	refused, err := refusedStaged(ctx, tx, lineNos, inserted, types)
	if err != nil {
		return nil, err
	}
	counts.Entities, counts.SkippedEntities, counts.Refused = len(types), len(refused), refused
	return types, addEntityCounts(ctx, tx, a.OrgID, perType)
}

// stagedEntity is an entity's keys as the staging path reads them back.
type stagedEntity struct {
	ID, Type, Name string
	IDTaken        bool
}

// refusedStaged lists the staged rows that the INSERT skipped. It reads
// the staging table back in the order COPY filled it, lineNos's order, and
// counts as inserted the first row of each (id, type, name) that came back
// from the INSERT (inserted; ours holds their ids). A skipped row's id was
// taken if the catalog held it before the import or an earlier line took
// it; otherwise its name (or a resource's identity) was.
func refusedStaged(ctx context.Context, tx bun.Tx, lineNos []int, inserted []stagedEntity, ours map[string]cartograph.EntityType) ([]RefusedEntity, error) {
	if len(inserted) == len(lineNos) {
		return nil, nil
	}
	var staged []stagedEntity
	err := tx.NewRaw(`SELECT i.id, i.type, i.name, EXISTS (SELECT 1 FROM entities e WHERE e.org_id = i.org_id AND e.id = i.id) AS id_taken
		FROM import_entities i ORDER BY i.ctid`).Scan(ctx, &staged)
	if err != nil {
		return nil, err
	}
	if len(staged) != len(lineNos) {
		return nil, fmt.Errorf("db: %d entities staged, %d read back", len(lineNos), len(staged))
	}
	won := make(map[[3]string]int, len(inserted))
	for _, e := range inserted {
		won[[3]string{e.ID, e.Type, e.Name}]++
	}
	earlier := make(map[string]bool, len(inserted)) // ids taken by the lines read so far
	refused := make([]RefusedEntity, 0, len(lineNos)-len(inserted))
	for i, e := range staged {
		if key := [3]string{e.ID, e.Type, e.Name}; won[key] > 0 {
			won[key]--
			earlier[e.ID] = true
			continue
		}
		_, imported := ours[e.ID]
		rule := keyRule(e.Type)
		if e.IDTaken && (!imported || earlier[e.ID]) {
			rule = RuleID
		}
		refused = append(refused, RefusedEntity{Line: lineNos[i], ID: e.ID, Type: e.Type, Name: e.Name, Rule: rule})
	}
	return refused, nil
}

// entityValues is row as entityCopyColumns lists its columns.
func entityValues(row *entityRow) []any {
	return []any{row.OrgID, row.ID, row.Type, row.Name, row.Description, row.Tags, mustJSON(row.MetaTags), mustJSON(row.Links),
		mustJSON(row.Permissions), row.GeneralAccess, row.Origin, row.CreatedBy, row.LastChangedBy, row.Provider, row.ProviderType,
		row.ProviderResourceKey, row.ProviderResourceType, row.ProviderAccountID, row.Location, mustJSON(row.Attrs), row.SearchText}
}

// addEntityCounts adds the import's entities to the org's counts
// (migration 11), whose triggers step aside under cartograph.bulk.
func addEntityCounts(ctx context.Context, tx bun.Tx, org string, perType map[string]int64) error {
	if len(perType) == 0 {
		return nil
	}
	types, ns := make([]string, 0, len(perType)), make([]int64, 0, len(perType))
	for t, n := range perType {
		types, ns = append(types, t), append(ns, n)
	}
	_, err := tx.ExecContext(ctx, "SELECT add_entity_counts(?, ?::text[], ?::bigint[])", org, pgArray(types), pgdialect.Array(ns))
	return err
}

// nextEntity reads and validates the next entity line; it reports false at
// the end of the file.
func nextEntity(in *lines, a *cartograph.Actor) (*entityRow, bool, error) {
	line, ok := in.next()
	if !ok {
		return nil, false, in.sc.Err()
	}
	row, err := importEntity(a, line)
	if err != nil {
		return nil, false, in.fail(err)
	}
	return row, true, nil
}

// importEntity validates one NDJSON entity as a create request.
func importEntity(a *cartograph.Actor, line []byte) (*entityRow, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(line, &fields); err != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "not a JSON object")
	}
	var id, typ string
	_ = json.Unmarshal(fields["id"], &id)
	_ = json.Unmarshal(fields["type"], &typ)
	if !cartograph.IsUUID(id) {
		return nil, cartograph.Errorf(cartograph.Invalid, "id must be a UUID")
	}
	in := cartograph.EntityInput{Type: cartograph.EntityType(typ), Fields: fields}
	change, err := in.Validate(true)
	if err != nil {
		return nil, err
	}
	row, err := newEntityRow(a, cartograph.EntityType(typ), cartograph.OriginManual, change)
	if err != nil {
		return nil, err
	}
	row.ID = id
	return row, nil
}
