#!/bin/sh
# Start Redis with the hub's own user, as config/redis/hub-acl.txt defines it, and an
# admin user (default): docker-compose.yml's redis service runs this. Comments are dropped
# (Redis before 8.8 refuses them in an ACL file) and each password comes from its file;
# the users file is written readable by its owner only. The arguments go to redis-server.
set -eu
keys=${HUB_KEYS_DIR:-/run/hub-keys}
acl=${HUB_ACL_FILE:-/etc/redis/hub-acl.txt}
users=${HUB_USERS_FILE:-/data/users.acl}
hub=$(cat "$keys/redis-hub.password")
admin=$(cat "$keys/redis-admin.password")
umask 077
{
    grep '^user ' "$acl" | sed "s/>CHANGE-ME/>$hub/"
    echo "user default on >$admin ~* &* +@all"
} > "$users"
# The image's entrypoint drops to the redis user (and owns /data to it); elsewhere (tests)
# HUB_REDIS_EXEC is empty and redis-server runs as it is.
exec ${HUB_REDIS_EXEC-docker-entrypoint.sh} redis-server --aclfile "$users" "$@"
