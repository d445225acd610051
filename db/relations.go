package db

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// Relations stores the directed, labelled edges between entities.
type Relations struct {
	db   *bun.DB
	rows *rowReader // the entities a hop reaches
}

type relationRow struct {
	bun.BaseModel `bun:"table:relations,alias:r"`

	OrgID     string    `bun:"org_id"`
	ID        string    `bun:"id,type:uuid,nullzero"`
	SourceID  string    `bun:"source_id,type:uuid"`
	TargetID  string    `bun:"target_id,type:uuid"`
	Label     string    `bun:"label"`
	Field     string    `bun:"field"`
	ServiceID *string   `bun:"service_id,type:uuid"`
	CreatedAt time.Time `bun:"created_at,nullzero"`
}

// relationColumns are relationRow's columns: a write returns these rather
// than *, which also holds the copies of the target's columns (migration 13)
// that only the relation levels read.
const relationColumns = "org_id, id, source_id, target_id, label, field, service_id, created_at"

func (r *relationRow) relation() *cartograph.Relation {
	out := &cartograph.Relation{ID: r.ID, SourceID: r.SourceID, TargetID: r.TargetID, Label: r.Label,
		Field: r.Field, CreatedAt: r.CreatedAt.UTC()}
	if r.ServiceID != nil {
		out.ServiceID = *r.ServiceID
	}
	return out
}

// endpoint is what a relation write needs to know of each end.
type endpoint struct {
	Type   cartograph.EntityType
	Origin cartograph.Origin
}

// endpoints returns the type and origin of those ids that exist in org; ids
// that are not UUIDs simply do not exist.
func endpoints(ctx context.Context, db bun.IDB, org string, ids ...string) (map[string]endpoint, error) {
	valid := ids[:0:0]
	for _, id := range ids {
		if cartograph.IsUUID(id) {
			valid = append(valid, id)
		}
	}
	out := map[string]endpoint{}
	if len(valid) == 0 {
		return out, nil
	}
	var rows []struct {
		ID     string `bun:"id"`
		Type   string `bun:"type"`
		Origin string `bun:"origin"`
	}
	err := db.NewRaw(`SELECT id, type, origin FROM entities WHERE org_id = ? AND id = ANY(?::uuid[])`, org, pgArray(valid)).Scan(ctx, &rows)
	for _, r := range rows {
		out[r.ID] = endpoint{cartograph.EntityType(r.Type), cartograph.Origin(r.Origin)}
	}
	return out, err
}

// relationEnds checks that both ends of r exist (NotFound naming the missing
// one) and that the pair is allowed; with manual set, a relation between two
// DISCOVERY entities is Unprocessable (CONTRACT.md §4).
func relationEnds(ctx context.Context, db bun.IDB, org string, r cartograph.Relation, manual bool) error {
	ends, err := endpoints(ctx, db, org, r.SourceID, r.TargetID)
	if err != nil {
		return err
	}
	src, ok1 := ends[r.SourceID]
	dst, ok2 := ends[r.TargetID]
	if !ok1 || !ok2 {
		missing := r.SourceID
		if ok1 {
			missing = r.TargetID
		}
		return cartograph.Errorf(cartograph.NotFound, "Catalog entity %s not found", missing)
	}
	if err := cartograph.CheckRelation(src.Type, r.Label, r.Field, dst.Type); err != nil {
		return err
	}
	if manual && src.Origin == cartograph.OriginDiscovery && dst.Origin == cartograph.OriginDiscovery {
		return cartograph.Errorf(cartograph.Unprocessable, "Relations between discovered entities are managed by discovery")
	}
	return nil
}

// insertRelation checks and inserts one relation inside tx. With
// ignoreDuplicate a relation that exists already is left as it is; else a
// duplicate is Conflict. Relations an entity declares in its own parents[]
// are exempt from the DISCOVERY rule, so this never applies it.
func insertRelation(ctx context.Context, tx bun.IDB, org string, r cartograph.Relation, ignoreDuplicate bool) error {
	if err := relationEnds(ctx, tx, org, r, false); err != nil {
		return err
	}
	return insertChecked(ctx, tx, org, r, ignoreDuplicate, nil)
}

func insertChecked(ctx context.Context, tx bun.IDB, org string, r cartograph.Relation, ignoreDuplicate bool, out *relationRow) error {
	var serviceID any
	if r.ServiceID != "" {
		if !cartograph.IsUUID(r.ServiceID) {
			return &cartograph.Error{Code: cartograph.Invalid, Field: "serviceId", Message: "serviceId must be a UUID"}
		}
		serviceID = r.ServiceID
	}
	q := `INSERT INTO relations (org_id, source_id, target_id, label, field, service_id) VALUES (?, ?, ?, ?, ?, ?)`
	if ignoreDuplicate {
		q += ` ON CONFLICT DO NOTHING`
	}
	var rows []relationRow
	_, err := tx.NewRaw(q+` RETURNING `+relationColumns, org, r.SourceID, r.TargetID, r.Label, r.Field, serviceID).Exec(ctx, &rows)
	if isUniqueViolation(err, "") {
		return cartograph.Errorf(cartograph.Conflict, "The relation already exists")
	}
	if err == nil && out != nil && len(rows) == 1 {
		*out = rows[0]
	}
	return err
}

// Create makes a relation (the /public/v1/catalog/relations write): Invalid
// for a bad label or missing field, NotFound for an unknown end, Conflict
// for a duplicate, Unprocessable for a pair the catalog does not allow or
// two DISCOVERY entities.
func (s *Relations) Create(ctx context.Context, r cartograph.Relation) (*cartograph.Relation, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	var row relationRow
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		if err := relationEnds(ctx, tx, a.OrgID, r, true); err != nil {
			return err
		}
		return insertChecked(ctx, tx, a.OrgID, r, false, &row)
	})
	if err != nil {
		return nil, wrap(err)
	}
	return row.relation(), nil
}

// RelationKey names relations to delete: label and service id narrow it
// when set.
type RelationKey struct {
	SourceID, TargetID string
	Label              *string
	Field              string
	ServiceID          string
}

// Delete deletes the relations matching k in one transaction: NotFound when
// none, Unprocessable between two DISCOVERY entities.
func (s *Relations) Delete(ctx context.Context, k RelationKey) (int, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return 0, err
	}
	notFound := cartograph.Errorf(cartograph.NotFound, "Catalog relation not found")
	if !cartograph.IsUUID(k.SourceID) || !cartograph.IsUUID(k.TargetID) || k.ServiceID != "" && !cartograph.IsUUID(k.ServiceID) {
		return 0, notFound
	}
	var n int64
	err = inTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) error {
		ends, err := endpoints(ctx, tx, a.OrgID, k.SourceID, k.TargetID)
		if err != nil {
			return err
		}
		if ends[k.SourceID].Origin == cartograph.OriginDiscovery && ends[k.TargetID].Origin == cartograph.OriginDiscovery {
			return cartograph.Errorf(cartograph.Unprocessable, "Relations between discovered entities are managed by discovery")
		}
		q := tx.NewDelete().Model((*relationRow)(nil)).
			Where("org_id = ? AND source_id = ? AND target_id = ? AND field = ?", a.OrgID, k.SourceID, k.TargetID, k.Field)
		if k.Label != nil {
			q.Where("label = ?", *k.Label)
		}
		if k.ServiceID != "" {
			q.Where("service_id = ?", k.ServiceID)
		}
		res, err := q.Exec(ctx)
		if err == nil {
			n, _ = res.RowsAffected()
		}
		return err
	})
	if err != nil {
		return 0, wrap(err)
	}
	if n == 0 {
		return 0, notFound
	}
	return int(n), nil
}

// RelationFilter selects relations; empty fields match everything.
type RelationFilter struct {
	SourceID, TargetID, Label string
}

// List returns a page of the org's relations matching f (oldest first) and
// how many match. An id that is not a UUID matches nothing.
func (s *Relations) List(ctx context.Context, f RelationFilter, page cartograph.Page) ([]*cartograph.Relation, int, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.SourceID != "" && !cartograph.IsUUID(f.SourceID) || f.TargetID != "" && !cartograph.IsUUID(f.TargetID) {
		return []*cartograph.Relation{}, 0, nil
	}
	where := func(q *bun.SelectQuery) *bun.SelectQuery {
		q = q.Where("r.org_id = ?", a.OrgID)
		if f.SourceID != "" {
			q = q.Where("r.source_id = ?", f.SourceID)
		}
		if f.TargetID != "" {
			q = q.Where("r.target_id = ?", f.TargetID)
		}
		if f.Label != "" {
			q = q.Where("r.label = ?", f.Label)
		}
		return q
	}
	var rows []relationRow
	if err := s.db.NewSelect().Model(&rows).Apply(where).OrderExpr("r.created_at, r.id").Apply(paged(page)).Scan(ctx); err != nil {
		return nil, 0, wrap(err)
	}
	n, err := s.db.NewSelect().Model((*relationRow)(nil)).Apply(where).Count(ctx)
	if err != nil {
		return nil, 0, wrap(err)
	}
	out := make([]*cartograph.Relation, len(rows))
	for i := range rows {
		out[i] = rows[i].relation()
	}
	return out, int(n), nil
}
