/**
 * The systemd sandbox every overlay service runs in (systemd.exec(5)): no new privileges, a
 * read-only system, private /tmp and devices, no kernel tunables, modules, logs or clock, only
 * IP and Unix sockets. Each unit adds what its program needs on top (its capabilities, and
 * MemoryDenyWriteExecute where there is no JIT: Node's needs writable code pages).
 */
export const SERVICE_SANDBOX = `NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
SystemCallArchitectures=native
UMask=0077
`;
