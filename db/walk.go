package db

import (
	"context"

	"cartograph/cartograph"
)

// Walk explores the relation graph breadth first from spec.From, one
// statement per level, then loads every entity reached in one more. A node is
// kept at its shortest depth; edges between kept nodes are returned in
// relation direction. NotFound when From is not one of the org's entities.
func (s *Relations) Walk(ctx context.Context, spec cartograph.WalkSpec) (*cartograph.WalkResult, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	ends, err := endpoints(ctx, s.db, a.OrgID, spec.From)
	if err != nil {
		return nil, wrap(err)
	}
	if _, ok := ends[spec.From]; !ok {
		return nil, entityNotFound
	}
	depth := map[string]int{spec.From: 0}
	order := []string{spec.From}
	var edges []cartograph.Relation
	edgeSeen := map[cartograph.Relation]bool{}
	frontier := []string{spec.From}
	res := &cartograph.WalkResult{}
	for level := 1; level <= spec.MaxDepth && len(frontier) > 0; level++ {
		var rows []struct {
			FromID   string `bun:"from_id"`
			ToID     string `bun:"to_id"`
			SourceID string `bun:"source_id"`
			TargetID string `bun:"target_id"`
			Label    string `bun:"label"`
		}
		err := s.db.NewRaw(`SELECT source_id AS from_id, target_id AS to_id, source_id, target_id, label FROM relations
				WHERE org_id = ? AND source_id = ANY(?::uuid[]) AND label = ANY(?::text[])
			UNION ALL
			SELECT target_id, source_id, source_id, target_id, label FROM relations
				WHERE org_id = ? AND target_id = ANY(?::uuid[]) AND label = ANY(?::text[])
			ORDER BY 1, 2`,
			a.OrgID, pgArray(frontier), pgArray(nonNil(spec.OutLabels)),
			a.OrgID, pgArray(frontier), pgArray(nonNil(spec.InLabels))).Scan(ctx, &rows)
		if err != nil {
			return nil, wrap(err)
		}
		var next []string
		for _, r := range rows {
			if _, ok := depth[r.ToID]; !ok {
				if len(order)-1 >= spec.Limit {
					res.Truncated = true
					continue
				}
				depth[r.ToID] = level
				order = append(order, r.ToID)
				next = append(next, r.ToID)
			}
			e := cartograph.Relation{SourceID: r.SourceID, TargetID: r.TargetID, Label: r.Label}
			if !edgeSeen[e] {
				edgeSeen[e] = true
				edges = append(edges, e)
			}
		}
		frontier = next
	}
	var rows []entityRow
	if err := s.db.NewSelect().Model(&rows).Where("org_id = ? AND id = ANY(?::uuid[])", a.OrgID, pgArray(order)).Scan(ctx); err != nil {
		return nil, wrap(err)
	}
	byID := make(map[string]*cartograph.Entity, len(rows))
	for i := range rows {
		byID[rows[i].ID] = rows[i].entity()
	}
	for _, id := range order {
		if e := byID[id]; e != nil {
			res.Nodes = append(res.Nodes, cartograph.WalkNode{Entity: e, Depth: depth[id]})
		}
	}
	res.Edges = edges
	res.Cycles = cartograph.FindCycles(edges)
	return res, nil
}
