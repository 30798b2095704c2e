/** The text between `<!-- name -->` and `<!-- /name -->` in a document; throws when absent. */
export function section(markdown: string, name: string): string {
  const match = new RegExp(`<!-- ${name} -->\\n([\\s\\S]*?)<!-- /${name} -->`).exec(markdown);
  if (!match) throw new Error(`no <!-- ${name} --> ... <!-- /${name} --> section`);
  return match[1] as string;
}
