package db

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

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
}

// importBatch is how many rows one INSERT carries.
const importBatch = 1000

// Import loads catalog NDJSON (the shared generator's entities.ndjson and
// relations.ndjson) into the caller's org in one transaction. Each entity
// goes through the API's validator and keeps its id; entities that would
// break a uniqueness rule are skipped, and so are relations that are not
// allowed or whose ends were skipped. Rows are inserted a batch at a time.
func (d *DB) Import(ctx context.Context, entities, relations, costs io.Reader) (*ImportCounts, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	counts := &ImportCounts{}
	types := map[string]cartograph.EntityType{}
	err = inTx(ctx, d.bun, func(ctx context.Context, tx bun.Tx) error {
		// One summary event stands for the whole import, not one per row.
		if _, err := tx.ExecContext(ctx, "SELECT set_config('cartograph.bulk', 'on', true)"); err != nil {
			return err
		}
		var batch []entityRow
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			var ids []string
			err := tx.NewInsert().Model(&batch).ExcludeColumn("created_at", "updated_at").
				On("CONFLICT DO NOTHING").Returning("id").Scan(ctx, &ids)
			if err != nil {
				return err
			}
			counts.Entities += len(ids)
			counts.SkippedEntities += len(batch) - len(ids)
			inserted := make(map[string]bool, len(ids))
			for _, id := range ids {
				inserted[id] = true
			}
			for _, r := range batch {
				if !inserted[r.ID] {
					delete(types, r.ID)
				}
			}
			batch = batch[:0]
			return nil
		}
		err := eachLine(entities, func(line []byte) error {
			row, err := importEntity(a, line)
			if err != nil {
				return err
			}
			types[row.ID] = cartograph.EntityType(row.Type)
			batch = append(batch, *row)
			if len(batch) == importBatch {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			return err
		}
		if err := importRelations(ctx, tx, a.OrgID, relations, types, counts); err != nil {
			return err
		}
		if costs != nil {
			if err := importCosts(ctx, tx, a.OrgID, costs, types, counts); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "SELECT set_config('cartograph.bulk', 'off', true)"); err != nil {
			return err
		}
		return summarise(ctx, tx, a.OrgID, cartograph.OpCreate, cartograph.ObjectImport, counts)
	})
	if err != nil {
		return nil, wrap(err)
	}
	return counts, nil
}

func eachLine(r io.Reader, fn func([]byte) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			var ce *cartograph.Error
			if errors.As(err, &ce) && ce.Code != cartograph.Internal {
				return &cartograph.Error{Code: ce.Code, Message: fmt.Sprintf("line %d: %s", n, ce.Message), Problems: ce.Problems}
			}
			return err
		}
	}
	return sc.Err()
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

// importRelations inserts the relations whose ends were imported and whose
// pair is allowed, a batch per statement; duplicates are skipped.
func importRelations(ctx context.Context, tx bun.Tx, org string, r io.Reader, types map[string]cartograph.EntityType, counts *ImportCounts) error {
	var src, dst, labels []string
	flush := func() error {
		if len(src) == 0 {
			return nil
		}
		res, err := tx.NewRaw(`INSERT INTO relations (org_id, source_id, target_id, label)
			SELECT ?, s, t, l FROM unnest(?::uuid[], ?::uuid[], ?::text[]) AS x(s, t, l)
			ON CONFLICT DO NOTHING`, org, pgArray(src), pgArray(dst), pgArray(labels)).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		counts.Relations += int(n)
		counts.SkippedRelations += len(src) - int(n)
		src, dst, labels = src[:0], dst[:0], labels[:0]
		return nil
	}
	err := eachLine(r, func(line []byte) error {
		var rel struct {
			SourceEntityID, TargetEntityID, Label string
		}
		if err := json.Unmarshal(line, &rel); err != nil {
			return cartograph.Errorf(cartograph.Invalid, "not a relation object")
		}
		st, ok1 := types[rel.SourceEntityID]
		tt, ok2 := types[rel.TargetEntityID]
		if !ok1 || !ok2 || cartograph.CheckRelation(st, rel.Label, "", tt) != nil {
			counts.SkippedRelations++
			return nil
		}
		src, dst, labels = append(src, rel.SourceEntityID), append(dst, rel.TargetEntityID), append(labels, rel.Label)
		if len(src) == importBatch {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}

// importBatchCosts is how many cost rows one INSERT carries.
const importBatchCosts = 5000

// importCosts inserts cost rows of imported resources, a batch per statement,
// replacing rows with the same key.
func importCosts(ctx context.Context, tx bun.Tx, org string, r io.Reader, types map[string]cartograph.EntityType, counts *ImportCounts) error {
	var rid, date, op, cost []string
	flush := func() error {
		if len(rid) == 0 {
			return nil
		}
		res, err := tx.NewRaw(`INSERT INTO costs (org_id, resource_id, date, operation, cost)
			SELECT ?, r, d, o, c FROM unnest(?::uuid[], ?::date[], ?::text[], ?::numeric[]) AS x(r, d, o, c)
			ON CONFLICT (org_id, resource_id, date, operation) DO UPDATE SET cost = EXCLUDED.cost`,
			org, pgArray(rid), pgArray(date), pgArray(op), pgArray(cost)).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		counts.Costs += int(n)
		rid, date, op, cost = rid[:0], date[:0], op[:0], cost[:0]
		return nil
	}
	err := eachLine(r, func(line []byte) error {
		c, err := cartograph.ParseCostRow(line)
		if err != nil {
			return cartograph.Errorf(cartograph.Invalid, "%v", err)
		}
		if types[c.ResourceID] != cartograph.Resource {
			counts.SkippedCosts++
			return nil
		}
		rid, date, op, cost = append(rid, c.ResourceID), append(date, c.Date), append(op, c.Operation), append(cost, c.Cost)
		if len(rid) == importBatchCosts {
			return flush()
		}
		return nil
	})
	if err != nil {
		return err
	}
	return flush()
}
