-- The demo's sample schema, created on A and on B. updated_at is the conflict column of
-- examples/bidirectional (the newer version of a row wins when both sides change it at once).
DROP DATABASE IF EXISTS demo;
CREATE DATABASE demo;
CREATE TABLE demo.customers (
  id INT PRIMARY KEY,
  name VARCHAR(60) NOT NULL,
  region VARCHAR(8) NOT NULL,
  updated_at DATETIME(6) NOT NULL
);
CREATE TABLE demo.orders (
  id BIGINT PRIMARY KEY,
  customer_id INT NOT NULL,
  amount DECIMAL(10,2) NOT NULL,
  status ENUM('new','paid','shipped') NOT NULL,
  updated_at DATETIME(6) NOT NULL
);
