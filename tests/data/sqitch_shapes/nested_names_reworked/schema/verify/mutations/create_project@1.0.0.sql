-- Verify mutations/create_project@1.0.0
SELECT id FROM mutations_create_project_1_0_0 WHERE false;
