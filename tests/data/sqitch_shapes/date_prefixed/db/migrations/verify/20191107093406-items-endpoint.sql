-- Verify 20191107093406-items-endpoint
SELECT id FROM t_items_endpoint WHERE false;
