package migrations

// Helper file living next to the migrations in the source project: it is NOT a migration
// (no version prefix). Written for migration-guard's tests.

import (
	"context"
	"database/sql"
	"fmt"
)

// notice prints a message during a migration.
func notice(_ context.Context, _ *sql.Tx, msg string) {
	fmt.Println("NOTICE:", msg)
}
