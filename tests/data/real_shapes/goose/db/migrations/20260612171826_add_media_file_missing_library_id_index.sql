-- +goose Up
-- Written for migration-guard's tests: composite index replacing a single-column one.
create index if not exists media_file_missing_library_id
    on media_file(missing, library_id);
drop index if exists media_file_missing;

-- +goose Down
create index if not exists media_file_missing
    on media_file(missing);
drop index if exists media_file_missing_library_id;
