// Package migrations holds Cartograph's schema as SQL migration files, embedded
// into the binary and applied by db.Migrate at start.
//
// Every table carries org_id and its primary and unique keys lead with it, so
// the catalog can be distributed by tenant (docs/scaling.md). Files are named
// YYYYMMDDHHMMSS_name.tx.up.sql: each runs in a transaction.
package migrations

import "embed"

// FS is the embedded migration files.
//
//go:embed *.sql
var FS embed.FS
