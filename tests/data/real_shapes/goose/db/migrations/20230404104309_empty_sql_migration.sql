--  Written for migration-guard's tests. Upstream keeps a placeholder SQL migration like this
--  one so that the embedded migrations folder always holds at least one .sql file.
--

-- +goose Up
-- +goose StatementBegin
SELECT 'up SQL query';
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
SELECT 'down SQL query';
-- +goose StatementEnd
