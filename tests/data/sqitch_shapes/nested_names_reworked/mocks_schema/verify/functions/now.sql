-- Verify functions/now
SELECT id FROM functions_now WHERE false;
