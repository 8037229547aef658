/**
 * What a service overlay is: metadata, a config schema checked inside mcdebian.yaml under
 * `overlays.<name>`, the files its config names (secrets among them), the Debian packages it
 * needs, and a pure render from config to files, units, in-target checks and the files a user
 * takes to the other end (the managed host's side of a tunnel, say).
 */
import type { z } from 'zod';
import type { CommandGroup } from '../build/core/command.js';
import type { Board, DebianArch } from '../board/board.js';
import type { LayerFile } from '../rootfs/configure.js';
import type { NodeService } from './bundle.js';

/** A field path inside an overlay's config, e.g. `['hostKey']`. */
export type OverlayField = readonly (string | number)[];

/** What `files` sees besides the overlay's own config. */
export interface FilesContext {
  /**
   * The config file's name without .yaml or .yml (`gw1` for gw1.yaml, `mcdebian` without a file):
   * what generated files are kept under. No field of the file changes it, and two configs in one
   * directory cannot share it, so a fleet with one file per device gets one key per device.
   */
  configName: string;
  /** The config's hostname: where McDebian kept generated files before (secrets/<hostname>/). */
  hostname: string;
}

/** What a generator is told: where the previous build left this overlay's far-side files. */
export interface GenerateContext {
  /** out/<board>/<overlay>/ of the previous build; it may not exist. */
  previousOutputs: string;
  /** The config's directory, which relative paths are relative to. */
  dir: string;
}

/** A file the overlay's config names. The loader reads it, so that render stays pure. */
export interface FileReference {
  field: OverlayField;
  /** The path as written, relative to mcdebian.yaml. */
  path: string;
  /** Keys, passwords: land with mode 0600; the manifest records where, never what. */
  secret: boolean;
  /**
   * Makes the file when it does not exist yet (a key pair nobody supplied). `build` calls it once
   * every check of the config has passed; `plan` shows the file as still to be made. Returns what
   * the user must be warned of (the far side trusts another key, say).
   */
  generate?: (file: string, context: GenerateContext) => Promise<readonly string[]>;
  /** Where earlier versions generated this file, relative to mcdebian.yaml: found there, it is used, and `build` moves it to `path`. */
  formerPaths?: readonly string[];
  /** Suffixes of files that belong to this one (`.pub` beside a private key): moved with it. */
  companions?: readonly string[];
  /** Why a generated file must be kept, as the build says when it makes it; default: the far side trusts it (a key). */
  keepBecause?: string;
}

/** A referenced file, read. */
export interface ReadFile extends Omit<FileReference, 'generate' | 'formerPaths' | 'companions'> {
  /** Absolute path on the build host. */
  file: string;
  /** The content; undefined while a generated file is still to be made (`plan` only). */
  content?: string;
  /** True when the build made this file. */
  generated: boolean;
  /** Where the file was found instead of `file`: one of the reference's former paths, absolute. */
  formerFile?: string;
  /** True once the build moved it from `formerFile` to `file` (`plan` moves nothing). */
  moved?: boolean;
  /** What making the file found that the user must hear (see FileReference.generate). */
  warnings?: readonly string[];
}

/** A problem with an overlay's config that the schema cannot see (a key file that is no key). */
export interface OverlayIssue {
  field: OverlayField;
  message: string;
}

/** A static check run inside the assembled image with the image's own tools. */
export interface OverlayCheck {
  description: string;
  /** argv inside the target (the check step runs it under chroot). */
  argv: string[];
  /** Output that fails the check although the tool exits 0 (systemd-analyze only warns about unknown keys). */
  failOn?: RegExp;
  /**
   * Where it runs: inside the image under chroot (the default), or on the build host, for a tool
   * the image's copy of cannot run under qemu-user; `{rootfs}` in argv stands for the image's root.
   */
  on?: 'target' | 'host';
}

/** A file for the far side, written to out/<board>/<overlay>/. */
export interface OverlayOutput {
  /** Path under the overlay's output directory. */
  path: string;
  content: string;
  description: string;
}

/** What an overlay adds to the image and the output. */
export interface OverlayRender {
  /** Files of the configuration layer; secrets are marked and have mode 0600. */
  files: LayerFile[];
  /** Units to enable. */
  units: string[];
  checks: OverlayCheck[];
  outputs: OverlayOutput[];
  /** One line each, for `plan`. */
  notes: string[];
}

/** What render sees besides the overlay's own config. */
export interface OverlayContext {
  board: Board;
  hostname: string;
  /** The router's LAN address with its prefix (e.g. 192.168.1.1/24). */
  lanAddress: string;
}

/** What one command run on a device printed, and how it ended (124: it timed out). */
export interface DeviceOutput {
  stdout: string;
  stderr: string;
  code: number;
}

/** One overlay's services as a running device reports them (`mcdebian status`). */
export interface OverlayHealth {
  /** What is wrong, one sentence each naming the unit, link or file; empty when healthy. */
  problems: string[];
  /** What a person reads, one line each: "tunnel to hq:22 connected since ...". */
  lines: string[];
  /** The same as data, for `mcdebian status --json`. */
  data: object;
}

/**
 * An overlay's part of the workstation's view of a device: `mcdebian status` runs the commands
 * on the device in one round with the rest and hands their outputs to `parse`, a pure function
 * that tests feed recorded output; `mcdebian logs` reads the units' journal. The commands read
 * what they need from the device itself (its unit, its config files), so the view is of the
 * image the device runs, whatever mcdebian.yaml on the workstation says now.
 */
export interface OverlayStatus {
  /**
   * The systemd units of the overlay's services. The first is the overlay's own: a device has
   * the overlay when systemd has that unit loaded.
   */
  units: readonly [string, ...string[]];
  /** Shell commands (POSIX sh, as root), each bounded in time; run only on a device that has the overlay. */
  commands: readonly string[];
  /** The health from the commands' outputs, in their order; `now` is the device's clock (Unix seconds). */
  parse(outputs: readonly DeviceOutput[], device: { now: number }): OverlayHealth;
}

export interface Overlay<Config = unknown> {
  name: string;
  summary: string;
  architectures: readonly DebianArch[];
  /** A strict object schema with defaults; its field descriptions are what `mcdebian overlays` shows. */
  schema: z.ZodType<Config>;
  packages(config: Config): string[];
  /** Node services, each bundled into one file for Debian's nodejs (see bundle.ts). */
  nodeServices?: readonly NodeService[];
  /** The files the config names, relative to mcdebian.yaml. */
  files(config: Config, context: FilesContext): FileReference[];
  /**
   * Checks of the files' content and of what depends on the board; each issue names the field.
   * `board` is undefined when it did not resolve (its error is reported): the checks that need it
   * wait, the others still run, so that every error is reported at once.
   */
  validate?(config: Config, files: readonly ReadFile[], context: { board?: Board }): OverlayIssue[];
  render(config: Config, files: readonly ReadFile[], context: OverlayContext): OverlayRender;
  /**
   * Its commands on the workstation, `mcdebian <name> <subcommand> ...`, merged into the CLI's
   * table; a function of the CommandHost when they need the config or an SSH connection.
   */
  cli?: CommandGroup | ((host: CommandHost) => CommandGroup);
  /** Its part of `mcdebian status` and `mcdebian logs`. */
  status?: OverlayStatus;
}

/** mcdebian.yaml as an overlay's commands see it: loaded and checked as `build` checks it, nothing generated. */
export interface LoadedConfig {
  /** Absolute path of the file. */
  file?: string;
  /** Its directory, which relative paths are relative to. */
  dir: string;
  hostname: string;
  board: Board;
  /** `output:` as written: build writes to <dir>/<output>/<board>/. */
  output: string;
  network: { lan: { address: string } };
  resolvedOverlays: ResolvedOverlay[];
}

/** Where and as whom an overlay's command logs in over SSH. */
export interface RemoteAddress {
  host: string;
  port: number;
  user: string;
  /** A private key file; else the ssh-agent or the user's own keys. */
  identity?: string;
  /** known_hosts to check the host key against (default ~/.ssh/known_hosts). */
  knownHosts?: string;
  /** Accept a host key known_hosts does not have. */
  acceptNewHostKey?: boolean;
}

/** An SSH connection: commands with their exit codes. */
export interface RemoteShell {
  /** The key the host presented (OpenSSH's SHA256 fingerprint). */
  readonly hostKey: { fingerprint: string };
  /** Runs a shell command with `stdin`; never throws on a non-zero exit. */
  exec(command: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }>;
  end(): Promise<void>;
}

/**
 * What the CLI lends an overlay's commands: the parts of McDebian an overlay may not import
 * (build/config reads the registry of overlays; flash/ owns the SSH connection code).
 */
export interface CommandHost {
  loadConfig(options: { file: string; cwd: string }): Promise<LoadedConfig>;
  connect(address: RemoteAddress): Promise<RemoteShell>;
}

/** An overlay with its config checked and its files read. */
export interface ResolvedOverlay {
  overlay: Overlay;
  config: unknown;
  files: ReadFile[];
}

/** The file a config field names; throws when the overlay asks for one it did not declare. */
export function fileFor(files: readonly ReadFile[], field: string): ReadFile {
  const found = files.find((entry) => entry.field.join('.') === field);
  if (!found) throw new Error(`no file was read for field ${field}`);
  return found;
}

/** A secret as a layer file: mode 0600, root's, marked for the manifest. */
export function secretFile(path: string, source: ReadFile, overlay: string): LayerFile {
  return { path, content: source.content ?? '', mode: 0o600, secret: { overlay, field: source.field.join('.'), source: source.file } };
}

/** Defines an overlay, keeping its config type for render. */
export function defineOverlay<Config>(overlay: Overlay<Config>): Overlay {
  return overlay as unknown as Overlay;
}
