# eval.nix -- evaluates nix/module.nix on this machine without nixpkgs:
#   nix-instantiate --eval --strict --json nix/tests/eval.nix
# with stub-lib.nix for lib and stand-ins for the few pkgs it touches:
# writeText is builtins.toFile (a real store file, so the shell test can
# read it), runCommand records its name and build script instead of
# building.  The result: for each test instance its service file, the
# check variant and the units' build script; and the module's users,
# groups, firewall ports, assertions and enabled units.
# Used by tests/integration/nix_module.sh.
let
  zoneDir = ../../examples/zones;
  lib = import ./stub-lib.nix;
  pkgs = {
    tibra = "/nix/store/00000000000000000000000000000000-tibra";
    iproute2 = "/nix/store/00000000000000000000000000000000-iproute2";
    writeText = name: text: builtins.toFile name text;
    runCommand = name: env: script: { inherit name script; outPath = "/nix/store/00000000000000000000000000000000-${name}"; };
  };
  settings = {
    enable = true;
    manager.enable = true;
    instances = {
      # target unix: tibra-dnsd, a zone file, an inline zone, a key
      dns1 = {
        listen = [ "127.0.0.1@5353" "::1@5353" ];
        metrics = "127.0.0.1@9153";
        openFirewall = true;
        zones."example.org" = {
          file = zoneDir + "/example.org.zone";
          provideXFR = [ "192.0.2.0/24" ];
          notify = [ "192.0.2.53" ];
        };
        zones."example.net".data = ''
          $TTL 300
          @ SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 300
            NS ns1
          ns1 A 192.0.2.1
        '';
        keys."tsig-key".keyFile = "/run/keys/tibra/tsig-key";
      };
      # spt, standalone on its TAP: examples/ns1-spt.conf, declared
      ns1 = {
        target = "spt";
        memory = "16M";
        network.addresses = [ "10.0.0.2/24" "fd00:10::2/64" ];
        network.gateways = [ "10.0.0.1" "fd00:10::1" ];
        zones."example.org".file = zoneDir + "/example.org.zone";
      };
      # hvt through tibra-vmmd on a bridge
      ns2 = {
        target = "hvt";
        memory = "32M";
        network.bridge = "br0";
        network.mac = "02:00:00:00:00:02";
        network.addresses = [ "10.0.0.3/24" ];
        network.gateways = [ "10.0.0.1" ];
        metrics = "10.0.0.3@9153";
        zones."example.org".file = zoneDir + "/example.org.zone";
      };
    };
  };
  module = import ../module.nix;
  # Declarations first (options do not depend on config), then the
  # settings merged over their defaults, then the module's config.
  decl = (module { config = { }; inherit lib pkgs; }).options.services.tibra;
  cfg = lib.apply "services.tibra" decl settings;
  out = (module { config.services.tibra = cfg; inherit lib pkgs; }).config;
  eval = import ../eval-lib.nix;
  build = eval.instance { inherit (pkgs) runCommand writeText iproute2; tibra = pkgs.tibra; };
in
{
  instances = builtins.mapAttrs (n: i:
    let b = build n i; in {
      inherit (b) serviceText checkText credentials;
      script = b.units.script;
    }) cfg.instances;
  units = map (p: p.name) out.systemd.packages;
  enabled = builtins.attrNames out.systemd.services;
  loadCredential = builtins.mapAttrs (n: s: s.serviceConfig.LoadCredential or [ ]) out.systemd.services;
  users = builtins.mapAttrs (n: u: u.extraGroups or [ ]) out.users.users;
  groups = builtins.attrNames out.users.groups;
  inherit (out.networking.firewall) allowedTCPPorts allowedUDPPorts;
  failedAssertions = map (a: a.message) (builtins.filter (a: !a.assertion) out.assertions);
}
