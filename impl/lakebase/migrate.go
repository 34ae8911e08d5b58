package lakebase

import (
	"context"
	"fmt"

	"github.com/jackc/tern/v2/migrate"

	"github.com/onbehalf/onbehalf/sql/migrations"
)

// versionTable records the schema's migration version (tern's own table).
const versionTable = "public.schema_version"

// Migrate applies the pending migrations of sql/migrations, under an
// advisory lock so that two instances starting together do not race.
func (s *Store) Migrate(ctx context.Context) error {
	return s.MigrateTo(ctx, -1)
}

// MigrateTo migrates the schema up or down to version (-1: the latest; 0:
// nothing), each migration in its own transaction.
func (s *Store) MigrateTo(ctx context.Context, version int32) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("lakebase: migrate: %w", err)
	}
	defer conn.Release()
	m, err := migrate.NewMigrator(ctx, conn.Conn(), versionTable)
	if err != nil {
		return fmt.Errorf("lakebase: migrate: %w", err)
	}
	if err := m.LoadMigrations(migrations.FS); err != nil {
		return fmt.Errorf("lakebase: migrate: %w", err)
	}
	if version < 0 {
		version = int32(len(m.Migrations))
	}
	if err := m.MigrateTo(ctx, version); err != nil {
		return fmt.Errorf("lakebase: migrate: %w", err)
	}
	return nil
}
