-- +goose Up

-- Written for migration-guard's tests: blank line after the marker, comments before SQL.

DROP INDEX IF EXISTS media_file_created_at;
CREATE INDEX media_file_created_at ON media_file(id);

-- +goose Down

DROP INDEX IF EXISTS media_file_created_at;
