package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// BatchFailure is an item of an entity batch that was refused.
type BatchFailure struct {
	Index               int    `json:"-"`
	ProviderResourceKey string `json:"providerResourceKey"`
	Status              int    `json:"status"`
	Error               string `json:"error"`
}

// BatchResult is what an entity batch did: every entity written (created or
// updated), and the items refused.
type BatchResult struct {
	Success  int
	Failures int
	Items    []*cartograph.Entity
	Failed   []BatchFailure
}

// statusOf gives a batch item's failure the status its error would have.
var statusOf = map[cartograph.Code]int{
	cartograph.Invalid: http.StatusBadRequest, cartograph.NotFound: http.StatusNotFound,
	cartograph.Conflict: http.StatusConflict, cartograph.Unprocessable: http.StatusUnprocessableEntity,
	cartograph.Forbidden: http.StatusForbidden,
}

// UpsertBatch writes discovered entities of type t (resource or base): each
// item is created, or updated when an entity with its identity exists
// (resources by provider, account and key; other types by name), with the
// relations its parents[] ask for. The batch is one transaction and each item
// a savepoint in it, so an item succeeds or fails whole and the others go on;
// a retried batch leaves the same state. New entities are DISCOVERY.
func (s *Entities) UpsertBatch(ctx context.Context, t cartograph.EntityType, items []cartograph.EntityInput) (*BatchResult, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	if err := cartograph.CheckBatchSize(len(items), cartograph.MaxResourceBatch); err != nil {
		return nil, err
	}
	res := &BatchResult{Items: []*cartograph.Entity{}, Failed: []BatchFailure{}}
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		for i, in := range items {
			in.Type, in.Origin = t, cartograph.OriginDiscovery
			var key string
			_ = json.Unmarshal(in.Fields["providerResourceKey"], &key)
			row, err := upsertItem(ctx, tx, a, in)
			if err != nil {
				e := cartograph.AsError(err)
				if e.Code == cartograph.Internal || e.Code == cartograph.Unavailable {
					return err // the database failed, not the item: the whole batch fails
				}
				status, ok := statusOf[e.Code]
				if !ok {
					status = http.StatusBadRequest
				}
				res.Failed = append(res.Failed, BatchFailure{Index: i, ProviderResourceKey: key, Status: status, Error: e.Message})
				continue
			}
			res.Items = append(res.Items, row.entity())
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err)
	}
	res.Success, res.Failures = len(res.Items), len(res.Failed)
	return res, nil
}

// upsertItem writes one batch item inside its own savepoint.
func upsertItem(ctx context.Context, tx bun.Tx, a *cartograph.Actor, in cartograph.EntityInput) (*entityRow, error) {
	change, err := in.Validate(true)
	if err != nil {
		return nil, err
	}
	var row entityRow
	err = tx.RunInTx(ctx, nil, func(ctx context.Context, sp bun.Tx) error {
		probe := &entityRow{Type: string(in.Type)}
		if err := probe.apply(change); err != nil {
			return err
		}
		q := sp.NewSelect().Model(&row).Where("org_id = ? AND type = ?", a.OrgID, in.Type).For("UPDATE")
		if in.Type == cartograph.Resource {
			q.Where("provider = ? AND provider_account_id = ? AND provider_resource_key = ?",
				probe.Provider, probe.ProviderAccountID, probe.ProviderResourceKey)
		} else {
			q.Where("lower(name) = lower(?)", probe.Name)
		}
		err := q.Scan(ctx)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			created, err := newEntityRow(a, in.Type, cartograph.OriginDiscovery, change)
			if err != nil {
				return err
			}
			row = *created
			if _, err := sp.NewInsert().Model(&row).ExcludeColumn("id", "created_at", "updated_at").Returning("*").Exec(ctx); err != nil {
				if isUniqueViolation(err, "") {
					return duplicate(&row)
				}
				return err
			}
		case err != nil:
			return err
		default:
			if err := row.apply(change); err != nil {
				return err
			}
			row.LastChangedBy = a.KeyName
			if err := updateRow(ctx, sp, &row); err != nil {
				return err
			}
		}
		return addChangeRelations(ctx, sp, a.OrgID, &row, change, cartograph.OriginDiscovery)
	})
	if err != nil {
		return nil, err
	}
	return &row, nil
}

// DeleteBatch deletes those ids that are the org's entities, with their
// relations, meta tags and costs, in one statement, and counts them. Unknown
// ids (or another org's) are skipped, so an agent's retry converges.
func (s *Entities) DeleteBatch(ctx context.Context, ids []string) (int, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return 0, err
	}
	valid := ids[:0:0]
	for _, id := range ids {
		if cartograph.IsUUID(id) {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return 0, nil
	}
	n, err := execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewDelete().Model((*entityRow)(nil)).Where("org_id = ? AND id = ANY(?::uuid[])", a.OrgID, pgArray(valid)).Exec(ctx)
	})
	if err != nil {
		return 0, wrap(err)
	}
	return int(n), nil
}
