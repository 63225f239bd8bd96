-- Verify mutations/create_project
SELECT id FROM mutations_create_project WHERE false;
