"""The expert pool (专家库), the committee draw (随机抽取) and its published document."""
