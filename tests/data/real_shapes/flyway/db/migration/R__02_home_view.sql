-- Trimmed for migration-guard's tests (upstream view is ~180 lines).
DROP VIEW IF EXISTS projects_extra CASCADE;

CREATE VIEW projects_extra AS
    SELECT d.version_id,
           sum(d.downloads) AS downloads
    FROM project_versions_downloads d
    GROUP BY d.version_id;
