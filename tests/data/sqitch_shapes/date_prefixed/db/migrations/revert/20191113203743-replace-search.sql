-- Revert 20191113203743-replace-search
BEGIN;
DROP TABLE t_replace_search;
COMMIT;
