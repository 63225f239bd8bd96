-- Verify tables/project_001_add_status
SELECT id FROM tables_project_001_add_status WHERE false;
