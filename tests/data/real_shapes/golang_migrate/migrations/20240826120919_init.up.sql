-- create "features" table
CREATE TABLE "features" (
  "id" character(26) NOT NULL,
  "created_at" timestamptz NOT NULL,
  "namespace" character varying NOT NULL,
  "key" character varying NOT NULL,
  PRIMARY KEY ("id")
);
-- create index "feature_namespace" to table: "features"
CREATE INDEX "feature_namespace" ON "features" ("namespace");
