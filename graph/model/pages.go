// Package model holds GraphQL-only types: gqlgen generates models_gen.go; the
// page types here are written by hand because their totals are resolved
// lazily from the parent they remember.
package model

import "cartograph/cartograph"

// DomainPage is a page of the org's domains.
type DomainPage struct {
	Items       []*cartograph.Domain
	HasNextPage bool
}

// ConfigPage is a page of one domain's configs.
type ConfigPage struct {
	DomainID    string
	Items       []*cartograph.Config
	HasNextPage bool
}

// VersionPage is a page of one config's versions. Versions are never
// deleted one by one, so the config's last version number is their count.
type VersionPage struct {
	Items       []*cartograph.Version
	HasNextPage bool
	TotalCount  int
}
