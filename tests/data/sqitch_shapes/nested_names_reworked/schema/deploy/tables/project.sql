-- Deploy tables/project
BEGIN;
CREATE TABLE tables_project (id integer);
COMMIT;
