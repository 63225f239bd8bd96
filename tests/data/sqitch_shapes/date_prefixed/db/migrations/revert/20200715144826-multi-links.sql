-- Revert 20200715144826-multi-links
BEGIN;
DROP TABLE t_multi_links;
COMMIT;
