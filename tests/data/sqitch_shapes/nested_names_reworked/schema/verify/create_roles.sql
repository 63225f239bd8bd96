-- Verify create_roles
SELECT id FROM create_roles WHERE false;
