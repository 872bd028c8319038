#!/usr/bin/env bash
# Failover hook for `avserver csm --hook samples/vip-hook.sh`: the CSM runs it as
#   vip-hook.sh promote EPOCH   when it becomes the primary
#   vip-hook.sh demote EPOCH    when it becomes the backup
# It moves the cluster's service address the way keepalived does: add the virtual IP and announce
# it with gratuitous ARP, or remove it. Set AVCLUSTER_VIP (address/prefix) and AVCLUSTER_VIP_DEV.
set -euo pipefail
vip=${AVCLUSTER_VIP:?set AVCLUSTER_VIP, e.g. 10.0.0.100/24}
dev=${AVCLUSTER_VIP_DEV:?set AVCLUSTER_VIP_DEV, e.g. eth0}
case "${1:-}" in
  promote)
    ip addr replace "$vip" dev "$dev"
    arping -q -c 3 -U -I "$dev" "${vip%/*}" || true
    ;;
  demote)
    ip addr del "$vip" dev "$dev" 2>/dev/null || true
    ;;
  *)
    echo "usage: $0 promote|demote EPOCH" >&2
    exit 2
    ;;
esac
