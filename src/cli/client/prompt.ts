/**
 * docker's confirmation prompt (prune commands): the question on stdout, one line read from stdin,
 * "y" or "Y" (after trimming) means yes; anything else, or end of input, means no.
 */
import type { Cli } from './cli.js';

function readLine(stdin: NodeJS.ReadStream = process.stdin): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.off('end', finish);
      stdin.pause();
      resolve(data.split('\n')[0] ?? '');
    };
    const onData = (chunk: Buffer): void => {
      data += chunk.toString('utf8');
      if (data.includes('\n')) finish();
    };
    stdin.on('data', onData);
    stdin.on('end', finish);
    stdin.resume();
  });
}

export async function confirm(cli: Cli, warning: string): Promise<boolean> {
  await cli.out(`${warning}\nAre you sure you want to continue? [y/N] `);
  const answer = (await readLine()).trim();
  return answer === 'y' || answer === 'Y';
}
