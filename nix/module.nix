# module.nix -- services.tibra: Tibra DNS services on NixOS, shaped like
# nixpkgs' services.nsd and services.knot: zones declared inline or by
# file, transfers and NOTIFY per zone, TSIG keys by keyFile (never in the
# store), zones checked at build time; plus, per instance, the target it
# runs as (unix: tibra-dnsd; spt, hvt: a unikernel image built from the
# zones) and, for unikernels, its memory and network.
#
#   services.tibra.instances.NAME  --nix/service-file.nix--> NAME.conf
#     --nix/units.nix: tibra-dnsd --check | tibra build; tibra deploy
#       systemd--> the units of docs/deploy.md --> systemd.packages
#
# The units are written by `tibra deploy systemd` (so NixOS runs the
# units the Debian guide installs), enabled with wantedBy drop-ins.  What
# was and was not run on the machine this was written on: docs/deploy.md,
# "NixOS".
{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption mkIf types;
  cfg = config.services.tibra;

  zoneOpts = { name, ... }: {
    options = {
      data = mkOption {
        type = types.nullOr types.lines;
        default = null;
        description = "The zone's text (RFC 1035 master file), inline; it goes into the Nix store.";
      };
      file = mkOption {
        type = types.nullOr types.path;
        default = null;
        description = "The zone file (copied into the store), instead of data.";
      };
      provideXFR = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.0/24" "2001:db8::53" ];
        description = "Who may transfer the zone (AXFR/IXFR): allow-transfer prefixes.";
      };
      notify = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.53" "192.0.2.54@5353" ];
        description = "Secondaries sent a NOTIFY on every new serial (ADDR or ADDR@PORT).";
      };
      requestXFR = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "192.0.2.1" "192.0.2.2 key tsig-key" ];
        description = "Primaries of a secondary zone (primary ADDR[@PORT] [key NAME]); then data/file is where the transferred copy is kept.";
      };
      extraConfig = mkOption {
        type = types.listOf types.str;
        default = [ ];
        description = "More zone: items (docs/service-file.md), one per element.";
      };
    };
  };

  keyOpts = { name, ... }: {
    options = {
      algorithm = mkOption {
        type = types.enum [ "hmac-sha256" "hmac-sha384" "hmac-sha512" "hmac-sha224" "hmac-sha1" "hmac-md5" ];
        default = "hmac-sha256";
        description = "TSIG algorithm.";
      };
      keyFile = mkOption {
        type = types.str;
        example = "/run/keys/tibra/tsig-key";
        description = "File holding the secret (base64, or a BIND key file), read by tibra-dnsd at start-up. A string, not a path, so that it never enters the Nix store.";
      };
    };
  };

  instanceOpts = { name, ... }: {
    options = {
      target = mkOption {
        type = types.enum [ "unix" "spt" "hvt" ];
        default = "unix";
        description = "unix: tibra-dnsd, a Linux process; spt: a unikernel under the seccomp tender; hvt: a KVM unikernel.";
      };
      memory = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "16M";
        description = "Guest memory (spt, hvt).";
      };
      listen = mkOption {
        type = types.listOf types.str;
        default = [ "127.0.0.1@53" ];
        description = "ADDR@PORT to serve on (target unix).";
      };
      metrics = mkOption {
        type = types.nullOr types.str;
        default = null;
        example = "127.0.0.1@9153";
        description = "ADDR@PORT of the Prometheus metrics (for a unikernel ADDR is its own address).";
      };
      network = {
        bridge = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "Run the unikernel through tibra-vmmd (services.tibra.manager) on this existing bridge; null: standalone, on its own TAP device tb-NAME.";
        };
        mac = mkOption {
          type = types.nullOr types.str;
          default = null;
          description = "The guest's MAC on the bridge (default: derived from the name by tibra-vmmd).";
        };
        addresses = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "10.0.0.2/24" "fd00:10::2/64" ];
          description = "The guest's own addresses (one IPv4, one IPv6), ADDR/PREFIXLEN.";
        };
        gateways = mkOption {
          type = types.listOf types.str;
          default = [ ];
          example = [ "10.0.0.1" "fd00:10::1" ];
          description = "The guest's gateways; standalone, also the host side of its TAP.";
        };
      };
      zones = mkOption {
        type = types.attrsOf (types.submodule zoneOpts);
        default = { };
        description = "Authoritative zones, by name.";
      };
      keys = mkOption {
        type = types.attrsOf (types.submodule keyOpts);
        default = { };
        description = "TSIG keys, by name (target unix).";
      };
      openFirewall = mkOption {
        type = types.bool;
        default = false;
        description = "Open the listen ports (UDP and TCP) in the host firewall (target unix; a unikernel has its own address).";
      };
      extraServiceConfig = mkOption {
        type = types.listOf types.str;
        default = [ ];
        example = [ "rrl-rate 20" "workers 2" ];
        description = "More service: items (docs/service-file.md), one per element.";
      };
    };
  };

  lib' = import ./eval-lib.nix;
  build = lib'.instance {
    inherit (pkgs) runCommand writeText iproute2;
    tibra = cfg.package;
  };
  built = lib.mapAttrs (n: i: build n i) cfg.instances;
  guests = lib.filterAttrs (n: i: i.target != "unix") cfg.instances;
  standalone = lib.filterAttrs (n: i: i.network.bridge == null) guests;
in
{
  options.services.tibra = {
    enable = mkEnableOption "Tibra DNS services";
    package = mkOption {
      type = types.package;
      default = pkgs.tibra;
      defaultText = lib.literalExpression "pkgs.tibra";
      description = "The tibra package (the flake's packages.tibra).";
    };
    instances = mkOption {
      type = types.attrsOf (types.submodule instanceOpts);
      default = { };
      description = "DNS services, by name (at most 24 of a-z 0-9 - _).";
    };
    manager.enable = mkEnableOption "tibra-vmmd, for instances with network.bridge";
  };

  config = mkIf cfg.enable {
    assertions = lib.flatten (lib.mapAttrsToList (n: i:
      lib.mapAttrsToList (z: zc: {
        assertion = (zc.data == null) != (zc.file == null) || zc.requestXFR != [ ];
        message = "services.tibra.instances.${n}.zones.${z}: give data or file (one of them)";
      }) i.zones
      ++ [{
        assertion = i.network.bridge == null || cfg.manager.enable;
        message = "services.tibra.instances.${n}.network.bridge needs services.tibra.manager.enable";
      } {
        assertion = i.target == "unix" || i.keys == { };
        message = "services.tibra.instances.${n}.keys: TSIG keys need target unix (an image never holds a secret)";
      }]) cfg.instances);

    systemd.packages = lib.mapAttrsToList (n: b: b.units) built
      ++ lib.optional cfg.manager.enable (pkgs.runCommand "tibra-vmmd-unit" { } ''
        mkdir -p $out/lib/systemd/system
        sed 's|/usr/local/bin/|${cfg.package}/bin/|' \
          ${cfg.package}/share/tibra/tibra-vmmd.service \
          > $out/lib/systemd/system/tibra-vmmd.service
      '');
    systemd.services = lib.mapAttrs' (n: i: lib.nameValuePair "tibra-${n}" ({
      wantedBy = [ "multi-user.target" ];
      overrideStrategy = "asDropin";
    } // lib.optionalAttrs (built.${n}.credentials != [ ]) {
      # The key files reach the dynamic user as credentials, at the
      # /run/credentials/tibra-NAME.service/KEY the service file names.
      serviceConfig.LoadCredential = built.${n}.credentials;
    })) cfg.instances
    // lib.optionalAttrs cfg.manager.enable {
      tibra-vmmd = { wantedBy = [ "multi-user.target" ]; overrideStrategy = "asDropin"; };
    };

    # Standalone unikernels run as a static user that owns their TAP.
    users.users = lib.mapAttrs' (n: i: lib.nameValuePair "tibra-${n}" {
      isSystemUser = true;
      group = "tibra-${n}";
      extraGroups = lib.optional (i.target == "hvt") "kvm";
      description = "Tibra unikernel ${n}";
    }) standalone
    // lib.optionalAttrs cfg.manager.enable {
      tibra-vmm = { isSystemUser = true; group = "tibra-vmm"; };
    };
    users.groups = lib.mapAttrs' (n: i: lib.nameValuePair "tibra-${n}" { }) standalone
      // lib.optionalAttrs cfg.manager.enable { tibra = { }; tibra-vmm = { }; };

    networking.firewall = let
      open = lib.filterAttrs (n: i: i.openFirewall && i.target == "unix") cfg.instances;
      ports = lib.unique (lib.flatten (lib.mapAttrsToList (n: i: map lib'.port i.listen) open));
    in {
      allowedTCPPorts = ports;
      allowedUDPPorts = ports;
    };
  };
}
