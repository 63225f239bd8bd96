-- Deploy 20200715144826-multi-links
BEGIN;
CREATE TABLE t_multi_links (id integer);
COMMIT;
