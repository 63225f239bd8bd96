-- Verify schemas/main
SELECT id FROM schemas_main WHERE false;
