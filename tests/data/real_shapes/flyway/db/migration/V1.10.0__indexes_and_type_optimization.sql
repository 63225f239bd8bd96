-- Be more specific about the length of a few columns
ALTER TABLE api_keys ALTER COLUMN token_identifier TYPE char(36), ALTER COLUMN token TYPE char(64);

-- Create a whole lot of indexes
CREATE INDEX idx_project_versions_downloads_individual_cookie_user ON project_versions_downloads_individual (user_id, cookie);
