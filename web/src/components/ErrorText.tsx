// What went wrong with the last action, as a sentence that screen readers announce.
export function ErrorText({ error }: { error: string | null }) {
  if (!error) return null;
  return (
    <p role="alert" class="error">
      {error}
    </p>
  );
}
