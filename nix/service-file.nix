# service-file.nix -- one services.tibra instance (options already merged
# with their defaults, as nix/module.nix declares them) as a Tibra service
# file (docs/service-file.md).  Pure: builtins only, so that
# nix/tests/eval.nix can evaluate it without nixpkgs.
#
#   { name, cfg, zoneFile, keyPath } -> the service file's text
#
# zoneFile NAME ZONE gives the path a zone's file has (a store path for
# `data`, the zone's `file` otherwise; null: none, a secondary without a
# kept copy): the caller decides where zone texts live.  keyPath NAME KEY
# gives the secret-file a key names (default its keyFile; the module
# names the systemd credential the keyFile is loaded as): a path only,
# so secrets never enter the store.
{ name, cfg, zoneFile, keyPath ? k: kc: kc.keyFile }:
let
  inherit (builtins) attrNames concatStringsSep filter map;
  lines = l: concatStringsSep "\n" (filter (s: s != "") l);
  words = l: concatStringsSep " " l;
  isGuest = cfg.target != "unix";
  net = cfg.network;
  service = lines ([
    "service: name ${name}; target ${cfg.target}"
  ]
  ++ (if isGuest && cfg.memory != null then [ "         memory ${cfg.memory}" ] else [ ])
  ++ (if isGuest then map (a: "         address ${a}") net.addresses else [ ])
  ++ (if isGuest then map (g: "         gateway ${g}") net.gateways else [ ])
  ++ (if !isGuest then map (l: "         listen ${l}") cfg.listen else [ ])
  ++ (if cfg.metrics != null then [ "         metrics ${cfg.metrics}" ] else [ ])
  ++ map (k: "         ${k}") cfg.extraServiceConfig);
  key = k:
    let kc = cfg.keys.${k}; in
    "key:     ${k}; algorithm ${kc.algorithm}; secret-file ${keyPath k kc}";
  zone = z:
    let zc = cfg.zones.${z}; in
    let f = zoneFile z zc; in
    lines ([
      ("zone:    ${z}" + (if f == null then "" else "; file ${f}"))
    ]
    ++ map (p: "         primary ${p}") zc.requestXFR
    ++ (if zc.provideXFR != [ ] then [ "         allow-transfer ${words zc.provideXFR}" ] else [ ])
    ++ (if zc.notify != [ ] then [ "         notify ${words zc.notify}" ] else [ ])
    ++ map (k: "         ${k}") zc.extraConfig);
in
lines ([
  "# ${name}.conf -- written by the services.tibra NixOS module"
  service
]
++ map key (attrNames cfg.keys)
++ map zone (attrNames cfg.zones)) + "\n"
