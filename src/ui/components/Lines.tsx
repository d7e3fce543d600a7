import React from 'react';
import { Box, Text } from 'ink';

/** A block of pre-styled lines, each one <Text> cut to the width (cheap to lay out). */
export function Lines({ lines, width }: { readonly lines: readonly string[]; readonly width: number }) {
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {lines.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {l === '' ? ' ' : l}
        </Text>
      ))}
    </Box>
  );
}
