-- Users for the docker-compose environment (MySQL 9.7). The passwords are for a local trial only:
-- in production give each connector its own secret through the environment or a file.
CREATE USER IF NOT EXISTS 'tandem_cdc'@'%' IDENTIFIED BY 'tandem-cdc-pw';
GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT, BACKUP_ADMIN ON *.* TO 'tandem_cdc'@'%';
CREATE USER IF NOT EXISTS 'tandem_sink'@'%' IDENTIFIED BY 'tandem-sink-pw';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, DROP, INDEX ON *.* TO 'tandem_sink'@'%';
-- The sink turns on binlog_rows_query_log_events for its own session so the target's binlog records the
-- loop marker; on MySQL that needs SESSION_VARIABLES_ADMIN (or the global setting, which this file's
-- server already has).
GRANT SESSION_VARIABLES_ADMIN ON *.* TO 'tandem_sink'@'%';
CREATE DATABASE IF NOT EXISTS test;
