package db

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

type moduleSettingsRow struct {
	bun.BaseModel `bun:"table:module_settings"`

	OrgID         string                        `bun:"org_id"`
	ID            string                        `bun:"id,type:uuid,nullzero"`
	ServiceID     string                        `bun:"service_id,type:uuid"`
	Doc           cartograph.ModuleSettingsBody `bun:"doc,type:jsonb"`
	CreatedBy     string                        `bun:"created_by"`
	LastChangedBy string                        `bun:"last_changed_by"`
	CreatedAt     time.Time                     `bun:"created_at,nullzero"`
	UpdatedAt     time.Time                     `bun:"updated_at,nullzero"`
}

func (r *moduleSettingsRow) settings() *cartograph.ModuleSettings {
	return &cartograph.ModuleSettings{ID: r.ID, OrgID: r.OrgID, ServiceID: r.ServiceID, Settings: r.Doc,
		CreatedBy: r.CreatedBy, LastChangedBy: r.LastChangedBy, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

// CreateModuleSettings stores module settings for one of the org's services
// (NotFound when there is no such service).
func (s *Entities) CreateModuleSettings(ctx context.Context, in *cartograph.NewModuleSettings) (*cartograph.ModuleSettings, error) {
	a, err := cartograph.CanWrite(ctx)
	if err != nil {
		return nil, err
	}
	row := &moduleSettingsRow{OrgID: a.OrgID, ServiceID: in.ServiceID, Doc: in.Body, CreatedBy: a.KeyName, LastChangedBy: a.KeyName}
	n, err := execTx(ctx, s.db, func(ctx context.Context, tx bun.Tx) (sql.Result, error) {
		return tx.NewRaw(`INSERT INTO module_settings (org_id, service_id, doc, created_by, last_changed_by)
			SELECT org_id, id, ?::jsonb, ?, ? FROM entities WHERE org_id = ? AND id = ? AND type = 'service'
			RETURNING *`, mustJSON(in.Body), a.KeyName, a.KeyName, a.OrgID, in.ServiceID).Exec(ctx, row)
	})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, cartograph.ErrServiceNotFound(in.ServiceID)
	}
	if err != nil {
		return nil, wrap(err)
	}
	if n == 0 {
		return nil, cartograph.ErrServiceNotFound(in.ServiceID)
	}
	return row.settings(), nil
}

// ModuleSettings returns the org's module settings with that id.
func (s *Entities) ModuleSettings(ctx context.Context, id string) (*cartograph.ModuleSettings, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	notFound := cartograph.Errorf(cartograph.NotFound, "Module settings not found")
	if !cartograph.IsUUID(id) {
		return nil, notFound
	}
	var row moduleSettingsRow
	err = s.db.NewSelect().Model(&row).Where("org_id = ? AND id = ?", a.OrgID, id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound
	}
	if err != nil {
		return nil, wrap(err)
	}
	return row.settings(), nil
}

// ListModuleSettings returns the org's module settings, of one service when
// serviceID is set, oldest first.
func (s *Entities) ListModuleSettings(ctx context.Context, serviceID string) ([]*cartograph.ModuleSettings, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []moduleSettingsRow
	q := s.db.NewSelect().Model(&rows).Where("org_id = ?", a.OrgID).OrderExpr("created_at, id")
	if serviceID != "" {
		if !cartograph.IsUUID(serviceID) {
			return []*cartograph.ModuleSettings{}, nil
		}
		q.Where("service_id = ?", serviceID)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, wrap(err)
	}
	out := make([]*cartograph.ModuleSettings, len(rows))
	for i := range rows {
		out[i] = rows[i].settings()
	}
	return out, nil
}
