
-- drop index "feature_namespace" from table: "features"
DROP INDEX "feature_namespace";
-- create index "feature_id" to table: "features"
-- atlas:nolint MF101
CREATE UNIQUE INDEX "feature_id" ON "features" ("id");
