#!/bin/sh
# Container healthcheck: GET /health on this process's port (MLOPSD_PORT, else the role's default).
case ${MLOPSD_ROLE:-all} in
data) default=8001 ;; train) default=8002 ;; predict) default=8003 ;; auth) default=8004 ;; *) default=8000 ;;
esac
exec curl -fsS -o /dev/null --max-time 3 "http://127.0.0.1:${MLOPSD_PORT:-$default}/health"
