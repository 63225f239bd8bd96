package migrations

import (
	"context"
	"database/sql"

	"github.com/pressly/goose/v3"
)

// Written for migration-guard's tests (shape of a goose Go migration).
func init() {
	goose.AddMigrationContext(Up20200130083147, Down20200130083147)
}

func Up20200130083147(ctx context.Context, tx *sql.Tx) error {
	_, err := tx.ExecContext(ctx, `
create table if not exists media_file (id varchar(255) not null primary key, library_id integer, missing bool default false not null, bpm integer default 0 not null);
create table if not exists transcoding (id varchar(255) not null primary key, command varchar(255) not null);`)
	return err
}

func Down20200130083147(_ context.Context, _ *sql.Tx) error {
	return nil
}
