/**
 * The JVM peers' build (bench/peers/spark/): `mvn -q -B package dependency:build-classpath`,
 * run by the benchmark when the jar is missing or older than the pom or a Java source, never by
 * npm. Maven keeps the dependencies in ~/.m2; the jar and the classpath file stay in
 * bench/peers/spark/target (ignored by git). Also the JVM flags both mains run with.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const SPARK_PROJECT = fileURLToPath(new URL('./spark/', import.meta.url));
const JAR = join(SPARK_PROJECT, 'target', 'peers-1.jar');
const CLASSPATH_FILE = join(SPARK_PROJECT, 'target', 'classpath.txt');
// Written after a successful build: Maven leaves an unchanged jar or classpath file untouched, so
// their own times can be older than a source edited since and would rebuild every time.
const STAMP = join(SPARK_PROJECT, 'target', 'peers-built.stamp');

/**
 * What Spark 3.5 needs opened on Java 17 (its launcher adds the same list,
 * JavaModuleOptions in spark-launcher).
 */
const ADD_OPENS = [
  'java.base/java.lang',
  'java.base/java.lang.invoke',
  'java.base/java.lang.reflect',
  'java.base/java.io',
  'java.base/java.net',
  'java.base/java.nio',
  'java.base/java.util',
  'java.base/java.util.concurrent',
  'java.base/java.util.concurrent.atomic',
  'java.base/sun.nio.ch',
  'java.base/sun.nio.cs',
  'java.base/sun.security.action',
  'java.base/sun.util.calendar',
].map((p) => `--add-opens=${p}=ALL-UNNAMED`);

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function upToDate(): boolean {
  if (!existsSync(JAR) || !existsSync(CLASSPATH_FILE) || !existsSync(STAMP)) return false;
  const sources = Math.max(
    statSync(join(SPARK_PROJECT, 'pom.xml')).mtimeMs,
    newestSource(join(SPARK_PROJECT, 'src')),
  );
  return statSync(STAMP).mtimeMs >= sources;
}

export interface JvmBuild {
  /** The jar and every runtime dependency, for `java -cp`. */
  readonly classpath: string;
  /** The dependency jars' versions the run used, from their file names. */
  readonly spark: string;
  readonly kafkaClients: string;
  /** java's first `-version` line. */
  readonly java: string;
}

function versionOf(classpath: string, artifact: RegExp): string {
  return artifact.exec(classpath)?.[1] ?? 'unknown';
}

/** Builds when needed (a minute or more the first time: Maven downloads Spark), then describes the build. */
export async function ensureJvmBuild(log: (line: string) => void): Promise<JvmBuild> {
  if (!upToDate()) {
    log('  building bench/peers/spark with Maven (mvn -q -B package dependency:build-classpath) ...');
    try {
      await promisify(execFile)('mvn', ['-q', '-B', 'package', 'dependency:build-classpath'], {
        cwd: SPARK_PROJECT,
        maxBuffer: 16 * 1024 * 1024,
      });
    } catch (error) {
      const e = error as { stdout?: string; stderr?: string; message: string };
      throw new Error(
        `the Maven build of ${SPARK_PROJECT} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`,
      );
    }
    writeFileSync(STAMP, `${new Date().toISOString()}\n`);
  }
  const dependencies = readFileSync(CLASSPATH_FILE, 'utf8').trim();
  const { stderr } = await promisify(execFile)('java', ['-version']);
  return {
    classpath: `${JAR}:${dependencies}`,
    spark: versionOf(dependencies, /spark-streaming_[\d.]+-([\w.-]+?)\.jar/),
    kafkaClients: versionOf(dependencies, /kafka-clients-([\w.-]+?)\.jar/),
    java: stderr.split('\n')[0]?.trim() ?? 'unknown',
  };
}

/** The java command line of one JVM peer: Spark's default driver heap (1 GB) for both. */
export function javaArgs(build: JvmBuild, mainClass: string): string[] {
  return ['-Xmx1g', ...ADD_OPENS, '-cp', build.classpath, mainClass];
}
