# flake.nix -- Tibra with Nix: the package, a function that builds the
# image of a service file, and the NixOS module services.tibra
# (docs/deploy.md, "NixOS").  What was and was not run where this was
# written (Debian 12's nix-bin 2.8, no nixpkgs, no network): the files
# parse, and nix/module.nix is evaluated by nix/tests/eval.nix with a
# stand-in for nixpkgs' lib (tests/integration/nix_module.sh); the
# package and the image function were never built.
{
  description = "Tibra: a library OS for unikernels and its authoritative DNS server";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      tibraFor = pkgs: pkgs.callPackage ./nix/package.nix {
        src = self;
        version = self.shortRev or "dirty";
        sourceDateEpoch = self.lastModified or 0;
      };
    in
    {
      packages = forAll (pkgs: rec {
        tibra = tibraFor pkgs;
        default = tibra;
      });

      # buildImage { serviceFile = ./ns1.conf; target = "spt"; name = "ns1.spt"; }
      lib = forAll (pkgs: {
        buildImage = pkgs.callPackage ./nix/image.nix { tibra = tibraFor pkgs; };
      });

      nixosModules.tibra = { pkgs, lib, ... }: {
        imports = [ ./nix/module.nix ];
        services.tibra.package = lib.mkDefault (tibraFor pkgs);
      };
      nixosModules.default = self.nixosModules.tibra;
    };
}
