package db

import (
	"context"
	"net/http"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// Costs stores daily resource costs.
type Costs struct {
	db *bun.DB
}

// Upsert replaces costs by (resource, date, operation) in one statement.
// Rows naming no resource of the caller's org fail with 404; the rest are
// written. Within a batch the last row for a key wins.
func (s *Costs) Upsert(ctx context.Context, rows []cartograph.Cost, failed []cartograph.BatchFailure, index []int) (*cartograph.CostBatchResult, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	if err := cartograph.CheckBatchSize(len(rows)+len(failed), cartograph.MaxCostBatch); err != nil {
		return nil, err
	}
	res := &cartograph.CostBatchResult{Failed: failed}
	ids := make([]string, 0, len(rows))
	for _, r := range rows {
		ids = append(ids, r.ResourceID)
	}
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		ends, err := endpoints(ctx, tx, a.OrgID, ids...)
		if err != nil {
			return err
		}
		last := map[cartograph.CostKey]int{}
		for i, r := range rows {
			if e, ok := ends[r.ResourceID]; !ok || e.Type != cartograph.Resource {
				res.Failed = append(res.Failed, cartograph.BatchFailure{Index: index[i], ID: r.ResourceID,
					Status: http.StatusNotFound, Error: "Catalog resource not found"})
				continue
			}
			last[cartograph.CostKey{ResourceID: r.ResourceID, Date: r.Date, Operation: r.Operation}] = i
		}
		var rid, date, op, cost, arn []string
		for i, r := range rows {
			if j, ok := last[cartograph.CostKey{ResourceID: r.ResourceID, Date: r.Date, Operation: r.Operation}]; ok {
				res.Success++
				if j != i {
					continue // a later row for the same key replaces this one
				}
				rid, date, op = append(rid, r.ResourceID), append(date, r.Date), append(op, r.Operation)
				cost, arn = append(cost, r.Cost), append(arn, r.ARN)
			}
		}
		if len(rid) == 0 {
			return nil
		}
		_, err = tx.NewRaw(`INSERT INTO costs (org_id, resource_id, date, operation, cost, arn)
			SELECT ?, r, d, o, c, a FROM unnest(?::uuid[], ?::date[], ?::text[], ?::numeric[], ?::text[]) AS x(r, d, o, c, a)
			ON CONFLICT (org_id, resource_id, date, operation)
			DO UPDATE SET cost = EXCLUDED.cost, arn = EXCLUDED.arn, updated_at = now()`,
			a.OrgID, pgArray(rid), pgArray(date), pgArray(op), pgArray(cost), pgArray(arn)).Exec(ctx)
		if err != nil {
			return err
		}
		return summarise(ctx, tx, a.OrgID, cartograph.OpUpdate, cartograph.ObjectCosts, summariseCosts(rid, date, len(rid)))
	})
	if err != nil {
		return nil, wrap(err)
	}
	res.Failures = len(res.Failed)
	return res, nil
}

// Delete deletes the costs matching keys (every operation of the day when a
// key names none) in one statement and counts them. Unknown resources, or
// another org's, simply match nothing.
func (s *Costs) Delete(ctx context.Context, keys []cartograph.CostKey) (int, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return 0, err
	}
	if err := cartograph.CheckBatchSize(len(keys), cartograph.MaxCostBatch); err != nil {
		return 0, err
	}
	var rid, date, op []string
	for _, k := range keys {
		if cartograph.IsUUID(k.ResourceID) {
			rid, date, op = append(rid, k.ResourceID), append(date, k.Date), append(op, k.Operation)
		}
	}
	if len(rid) == 0 {
		return 0, nil
	}
	var n int64
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewRaw(`DELETE FROM costs c USING unnest(?::uuid[], ?::date[], ?::text[]) AS k(r, d, o)
			WHERE c.org_id = ? AND c.resource_id = k.r AND c.date = k.d AND (k.o = '' OR c.operation = k.o)`,
			pgArray(rid), pgArray(date), pgArray(op), a.OrgID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		return summarise(ctx, tx, a.OrgID, cartograph.OpDelete, cartograph.ObjectCosts, summariseCosts(rid, date, int(n)))
	})
	if err != nil {
		return 0, wrap(err)
	}
	return int(n), nil
}

// costSummary describes a costs batch in its change event.
type costSummary struct {
	Rows      int    `json:"rows"`
	Resources int    `json:"resources"`
	From      string `json:"from,omitempty"`
	To        string `json:"to,omitempty"`
}

func summariseCosts(rid, date []string, rows int) costSummary {
	s := costSummary{Rows: rows}
	seen := map[string]bool{}
	for i, r := range rid {
		if !seen[r] {
			seen[r] = true
			s.Resources++
		}
		if s.From == "" || date[i] < s.From {
			s.From = date[i]
		}
		if date[i] > s.To {
			s.To = date[i]
		}
	}
	return s
}
