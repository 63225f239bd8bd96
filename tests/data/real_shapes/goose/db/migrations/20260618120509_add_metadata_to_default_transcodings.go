package migrations

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// Written for migration-guard's tests (shape of a goose Go data migration).
func init() {
	goose.AddMigrationContext(upAddMetadataToDefaultTranscodings, downAddMetadataToDefaultTranscodings)
}

func upAddMetadataToDefaultTranscodings(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE transcoding SET command = command || ' -map_metadata 0'`)
	return err
}

func downAddMetadataToDefaultTranscodings(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `UPDATE transcoding SET command = replace(command, ' -map_metadata 0', '')`)
	return err
}
