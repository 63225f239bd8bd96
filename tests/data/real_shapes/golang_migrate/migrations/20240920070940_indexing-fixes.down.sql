-- atlas:nolint MF101
-- reverse: create index "feature_id" to table: "features"
DROP INDEX "feature_id";
-- reverse: drop index "feature_namespace" from table: "features"
CREATE INDEX "feature_namespace" ON "features" ("namespace");
