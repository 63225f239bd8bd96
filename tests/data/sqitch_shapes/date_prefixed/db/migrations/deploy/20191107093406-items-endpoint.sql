-- Deploy 20191107093406-items-endpoint
BEGIN;
CREATE TABLE t_items_endpoint (id integer);
COMMIT;
