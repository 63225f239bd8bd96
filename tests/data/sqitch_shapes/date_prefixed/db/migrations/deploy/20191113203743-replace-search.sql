-- Deploy 20191113203743-replace-search
BEGIN;
CREATE TABLE t_replace_search (id integer);
COMMIT;
