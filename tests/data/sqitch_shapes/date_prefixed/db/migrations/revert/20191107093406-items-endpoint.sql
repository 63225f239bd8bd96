-- Revert 20191107093406-items-endpoint
BEGIN;
DROP TABLE t_items_endpoint;
COMMIT;
