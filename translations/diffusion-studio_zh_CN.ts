<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>QObject</name>
    <message>
        <source>nothing to export yet</source>
        <translation>还没有可导出的内容</translation>
    </message>
    <message>
        <source>%1: could not save (%2)</source>
        <translation>%1：无法保存（%2）</translation>
    </message>
</context>
<context>
    <name>ds::ui</name>
    <message>
        <source>OT-CFM (exact minibatch OT)</source>
        <translation>OT-CFM（精确小批量最优传输）</translation>
    </message>
    <message>
        <source>I-CFM (independent)</source>
        <translation>I-CFM（独立耦合）</translation>
    </message>
    <message>
        <source>Schrödinger bridge CFM</source>
        <translation>薛定谔桥 CFM</translation>
    </message>
    <message>
        <source>Variance preserving</source>
        <translation>保方差</translation>
    </message>
    <message>
        <source>Target CFM</source>
        <translation>目标 CFM</translation>
    </message>
    <message>
        <source>OT path (Lipman; g4vrel/CFM&apos;s)</source>
        <translation>OT 路径（Lipman；g4vrel/CFM 的）</translation>
    </message>
    <message>
        <source>The probability path a flow-matching model learns (torchcfm&apos;s definitions; g4vrel/CFM uses Lipman&apos;s OT path)</source>
        <translation>流匹配模型学习的概率路径（采用 torchcfm 的定义；g4vrel/CFM 用的是 Lipman 的 OT 路径）</translation>
    </message>
    <message>
        <source>EMA</source>
        <translation>EMA</translation>
    </message>
    <message>
        <source>Online</source>
        <translation>在线权重</translation>
    </message>
    <message>
        <source>EMA: the moving average of the weights, what previews sample; Online: the weights the optimiser trained</source>
        <translation>EMA：权重的滑动平均，预览用它采样；在线权重：优化器训练出的权重</translation>
    </message>
</context>
<context>
    <name>ds::ui::ClassConditionFields</name>
    <message>
        <source>The class of every image, or every class in turn (one per image)</source>
        <translation>每张图像的类别，或依次使用每个类别（每张图像一个）</translation>
    </message>
    <message>
        <source>Classifier-free guidance scale W: 1 is the conditional model alone, larger values follow the class more closely (3-8 is usual)</source>
        <translation>无分类器引导强度 W：1 即仅用条件模型，数值越大越贴近类别（常用 3-8）</translation>
    </message>
    <message>
        <source>Rescale the guided prediction towards the conditional one&apos;s spread (Lin et al. 2023): less over-saturation at large W</source>
        <translation>将引导后的预测按条件预测的标准差重新缩放（Lin 等，2023）：W 较大时减少过饱和</translation>
    </message>
    <message>
        <source>CFG++ (DDPM and DDIM)</source>
        <translation>CFG++（DDPM 与 DDIM）</translation>
    </message>
    <message>
        <source>Renoise with the null class&apos;s prediction (Chung et al. 2024)</source>
        <translation>用空类别的预测重新加噪（Chung 等，2024）</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Guidance scale</source>
        <translation>引导强度</translation>
    </message>
    <message>
        <source>Rescaled φ</source>
        <translation>重缩放 φ</translation>
    </message>
    <message>
        <source>Every class in turn</source>
        <translation>依次使用每个类别</translation>
    </message>
    <message>
        <source>One row per class</source>
        <translation>每个类别一行</translation>
    </message>
</context>
<context>
    <name>ds::ui::DiffusionSamplerFields</name>
    <message>
        <source>DPM-Solver++</source>
        <translation>DPM-Solver++</translation>
    </message>
    <message>
        <source>UniPC</source>
        <translation>UniPC</translation>
    </message>
    <message>
        <source>DPM-Solver</source>
        <translation>DPM-Solver</translation>
    </message>
    <message>
        <source>DDIM</source>
        <translation>DDIM</translation>
    </message>
    <message>
        <source>DDPM (all timesteps)</source>
        <translation>DDPM（全部时间步）</translation>
    </message>
    <message>
        <source>DPM-Solver++ and UniPC sample in 10-20 model evaluations; DDIM needs 50-250</source>
        <translation>DPM-Solver++ 和 UniPC 只需 10–20 次模型求值即可采样；DDIM 需要 50–250 次</translation>
    </message>
    <message>
        <source>DDIM steps; for the ODE solvers, model evaluations</source>
        <translation>DDIM 的步数；对 ODE 求解器而言是模型求值次数</translation>
    </message>
    <message>
        <source>DDIM&apos;s eta: 0 is deterministic, 1 as noisy as DDPM</source>
        <translation>DDIM 的 eta：0 为确定性采样，1 与 DDPM 的噪声相同</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>eta</source>
        <translation>eta</translation>
    </message>
    <message>
        <source>Solver order: 2 for DPM-Solver++ (2M), 3 for DPM-Solver&apos;s singlestep and for UniPC</source>
        <translation>求解器阶数：DPM-Solver++（2M）用 2，DPM-Solver 单步法和 UniPC 用 3</translation>
    </message>
    <message>
        <source>multistep</source>
        <translation>多步法</translation>
    </message>
    <message>
        <source>singlestep</source>
        <translation>单步法</translation>
    </message>
    <message>
        <source>singlestep, fixed order</source>
        <translation>单步法（固定阶数）</translation>
    </message>
    <message>
        <source>adaptive</source>
        <translation>自适应</translation>
    </message>
    <message>
        <source>DPM-Solver&apos;s method; adaptive chooses its own steps</source>
        <translation>DPM-Solver 的方法；自适应法自行选择步长</translation>
    </message>
    <message>
        <source>time-uniform</source>
        <translation>时间均匀</translation>
    </message>
    <message>
        <source>logSNR</source>
        <translation>logSNR 均匀</translation>
    </message>
    <message>
        <source>time-quadratic</source>
        <translation>时间二次</translation>
    </message>
    <message>
        <source>The spacing of the time steps</source>
        <translation>时间步的间隔方式</translation>
    </message>
    <message>
        <source>bh1</source>
        <translation>bh1</translation>
    </message>
    <message>
        <source>bh2</source>
        <translation>bh2</translation>
    </message>
    <message>
        <source>UniPC&apos;s B(h): bh1 for very few steps, bh2 otherwise</source>
        <translation>UniPC 的 B(h)：步数极少时用 bh1，否则用 bh2</translation>
    </message>
    <message>
        <source>x̂₀ as predicted</source>
        <translation>x̂₀ 保持预测值</translation>
    </message>
    <message>
        <source>x̂₀ clipped</source>
        <translation>x̂₀ 截断</translation>
    </message>
    <message>
        <source>x̂₀ thresholded</source>
        <translation>x̂₀ 动态阈值</translation>
    </message>
    <message>
        <source>Clip each predicted x̂₀ to [-1, 1] (as lucidrains&apos; DDIM) or threshold it dynamically (Imagen)</source>
        <translation>将每个预测的 x̂₀ 截断到 [-1, 1]（与 lucidrains 的 DDIM 相同），或做动态阈值处理（Imagen）</translation>
    </message>
    <message>
        <source>Order</source>
        <translation>阶数</translation>
    </message>
</context>
<context>
    <name>ds::ui::ExplorerFrame</name>
    <message>
        <source>final</source>
        <translation>最终</translation>
    </message>
    <message>
        <source>step %1 / %2</source>
        <translation>第 %1 / %2 步</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>%1 · t = %2 · ᾱ = %3</source>
        <translation>%1 · t = %2 · ᾱ = %3</translation>
    </message>
</context>
<context>
    <name>ds::ui::ExplorerRunPanel</name>
    <message>
        <source>Sampling %1</source>
        <translation>采样 %1</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt *.pth *.tar);;All files (*)</source>
        <translation>检查点 (*.pt *.pth *.tar);;所有文件 (*)</translation>
    </message>
    <message>
        <source>a checkpoint: ours or a lucidrains model-N.pt</source>
        <translation>检查点：本程序的或 lucidrains 的 model-N.pt</translation>
    </message>
    <message>
        <source>PyTorch files (*.pt *.pth);;All files (*)</source>
        <translation>PyTorch 文件 (*.pt *.pth);;所有文件 (*)</translation>
    </message>
    <message>
        <source>optional: x_T from a PyTorch file (N, C, H, W)</source>
        <translation>可选：从 PyTorch 文件读取 x_T (N, C, H, W)</translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <source>Initial noise</source>
        <translation>初始噪声</translation>
    </message>
    <message>
        <source>x_t: the sampler&apos;s state</source>
        <translation>x_t：采样器的当前状态</translation>
    </message>
    <message>
        <source>x̂₀: the model&apos;s prediction of the clean image</source>
        <translation>x̂₀：模型对干净图像的预测</translation>
    </message>
    <message>
        <source>%1 is still running</source>
        <translation>%1 仍在运行</translation>
    </message>
    <message>
        <source>Choose a checkpoint first.</source>
        <translation>请先选择检查点。</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>图像尺寸</translation>
    </message>
</context>
<context>
    <name>ds::ui::FidPage</name>
    <message>
        <source>Computing FID</source>
        <translation>计算 FID</translation>
    </message>
    <message>
        <source>Image sets</source>
        <translation>图像集</translation>
    </message>
    <message>
        <source>FID statistics (*.npz);;All files (*)</source>
        <translation>FID 统计量 (*.npz);;所有文件 (*)</translation>
    </message>
    <message>
        <source>reference: a folder of images (e.g. the test set) or an .npz</source>
        <translation>参考集：图像文件夹（例如测试集）或 .npz 文件</translation>
    </message>
    <message>
        <source>generated: a folder of images or an .npz</source>
        <translation>生成集：图像文件夹或 .npz 文件</translation>
    </message>
    <message>
        <source>The Inception block whose features are compared; 2048 is the standard FID</source>
        <translation>用于比较特征的 Inception 模块；2048 为标准 FID</translation>
    </message>
    <message>
        <source>Also compute KID (kernel inception distance)</source>
        <translation>同时计算 KID（核 Inception 距离）</translation>
    </message>
    <message>
        <source>no (all images of a folder share one size)</source>
        <translation>否（同一文件夹中的图像尺寸相同）</translation>
    </message>
    <message>
        <source>Resize every image to S×S first, for folders of mixed sizes</source>
        <translation>先将每张图像缩放到 S×S，用于尺寸不一的文件夹</translation>
    </message>
    <message>
        <source>Inception weights (*.pth *.pt);;All files (*)</source>
        <translation>Inception 权重 (*.pth *.pt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>pytorch-fid&apos;s pt_inception-2015-12-05-6726825d.pth, from %1</source>
        <translation>pytorch-fid 的 pt_inception-2015-12-05-6726825d.pth，下载地址 %1</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>参考集</translation>
    </message>
    <message>
        <source>Generated</source>
        <translation>生成集</translation>
    </message>
    <message>
        <source>Dimensions</source>
        <translation>维度</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Resize</source>
        <translation>缩放</translation>
    </message>
    <message>
        <source>Inception weights</source>
        <translation>Inception 权重</translation>
    </message>
    <message>
        <source>Compute</source>
        <translation>计算</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Save statistics of the reference…</source>
        <translation>保存参考集的统计量…</translation>
    </message>
    <message>
        <source>When</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Dims</source>
        <translation>维度</translation>
    </message>
    <message>
        <source>KID</source>
        <translation>KID</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <source>Save statistics</source>
        <translation>保存统计量</translation>
    </message>
    <message>
        <source>FID statistics (*.npz)</source>
        <translation>FID 统计量 (*.npz)</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Failed:&lt;/b&gt; %1</source>
        <translation>&lt;b&gt;失败：&lt;/b&gt;%1</translation>
    </message>
    <message>
        <source>Choose two folders or statistics files.</source>
        <translation>请选择两个文件夹或统计量文件。</translation>
    </message>
    <message>
        <source>Computing…</source>
        <translation>正在计算…</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;font-size:large&apos;&gt;&lt;b&gt;FID %1&lt;/b&gt;</source>
        <translation>&lt;p style=&apos;font-size:large&apos;&gt;&lt;b&gt;FID %1&lt;/b&gt;</translation>
    </message>
    <message>
        <source> · KID %1 ± %2</source>
        <translation> · KID %1 ± %2</translation>
    </message>
    <message>
        <source>&lt;p&gt;%1 (%2 images) vs %3 (%4 images) · %5 dims · %6 · %7 s&lt;/p&gt;</source>
        <translation>&lt;p&gt;%1（%2 张图像）对 %3（%4 张图像）· %5 维 · %6 · %7 秒&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Choose the reference folder first.</source>
        <translation>请先选择参考文件夹。</translation>
    </message>
    <message>
        <source>Saved statistics to %1</source>
        <translation>统计量已保存到 %1</translation>
    </message>
    <message>
        <source>Folder or statistics file</source>
        <translation>文件夹或统计文件</translation>
    </message>
    <message>
        <source>Fashion-MNIST test set (built in, 10,000)</source>
        <translation>Fashion-MNIST 测试集（内置，10,000 张）</translation>
    </message>
    <message>
        <source>Fashion-MNIST training set (built in, 60,000)</source>
        <translation>Fashion-MNIST 训练集（内置，60,000 张）</translation>
    </message>
    <message>
        <source>A folder or an .npz, or Fashion-MNIST&apos;s own images exactly as the built-in training data delivers them (28×28 padded to 32×32); their statistics are cached per feature network</source>
        <translation>图像文件夹或 .npz 文件，或与内置训练数据完全相同的 Fashion-MNIST 图像（28×28 填充为 32×32）；其统计量按特征网络缓存</translation>
    </message>
    <message>
        <source>Inception (pytorch-fid): FID</source>
        <translation>Inception（pytorch-fid）：FID</translation>
    </message>
    <message>
        <source>Fashion-MNIST classifier (offline): FD</source>
        <translation>Fashion-MNIST 分类器（离线）：FD</translation>
    </message>
    <message>
        <source>Classifier file…</source>
        <translation>分类器文件…</translation>
    </message>
    <message>
        <source>The network whose features are compared. Without pytorch-fid&apos;s Inception weights, a classifier trained on Fashion-MNIST gives a Fréchet distance in its own 128-d features (FD, not comparable with published FIDs)</source>
        <translation>用于比较特征的网络。没有 pytorch-fid 的 Inception 权重时，在 Fashion-MNIST 上训练的分类器给出其自身 128 维特征中的 Fréchet 距离（FD，不能与已发表的 FID 比较）</translation>
    </message>
    <message>
        <source>Feature classifiers (*.pt);;All files (*)</source>
        <translation>特征分类器 (*.pt);;所有文件 (*)</translation>
    </message>
    <message>
        <source>a classifier written by train-classifier</source>
        <translation>由 train-classifier 写出的分类器</translation>
    </message>
    <message>
        <source>Train…</source>
        <translation>训练…</translation>
    </message>
    <message>
        <source>Train the Fashion-MNIST classifier on the 60,000 training images (a few minutes on a CPU), as diffusion-studio-cli train-classifier --data fashion-mnist does</source>
        <translation>在 60,000 张训练图像上训练 Fashion-MNIST 分类器（CPU 上需几分钟），与 diffusion-studio-cli train-classifier --data fashion-mnist 相同</translation>
    </message>
    <message>
        <source>Features</source>
        <translation>特征</translation>
    </message>
    <message>
        <source>FID / FD</source>
        <translation>FID / FD</translation>
    </message>
    <message>
        <source>Inception weights: %1</source>
        <translation>Inception 权重：%1</translation>
    </message>
    <message>
        <source>pytorch-fid&apos;s Inception weights are not on this computer (download them from %1 into %2), or choose the Fashion-MNIST classifier, which works offline.</source>
        <translation>本机没有 pytorch-fid 的 Inception 权重（请从 %1 下载到 %2），或选择可离线使用的 Fashion-MNIST 分类器。</translation>
    </message>
    <message>
        <source>Retrain…</source>
        <translation>重新训练…</translation>
    </message>
    <message>
        <source>Choose a classifier file.</source>
        <translation>请选择分类器文件。</translation>
    </message>
    <message>
        <source>Not trained yet: Train… makes it (a few minutes on a CPU) at %1.</source>
        <translation>尚未训练：“训练…”会在 %1 生成它（CPU 上需几分钟）。</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 不存在。</translation>
    </message>
    <message>
        <source>%1: test accuracy %2 % on %3 images (%4)</source>
        <translation>%1：在 %3 张图像上的测试准确率 %2 %（%4）</translation>
    </message>
    <message>
        <source>Not a usable classifier: %1</source>
        <translation>不是可用的分类器：%1</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;font-size:large&apos;&gt;&lt;b&gt;FD %1&lt;/b&gt; (Fréchet distance in the features of the %2)</source>
        <translation>&lt;p style=&apos;font-size:large&apos;&gt;&lt;b&gt;FD %1&lt;/b&gt;（%2 特征中的 Fréchet 距离）</translation>
    </message>
    <message>
        <source> · KD %1 ± %2</source>
        <translation> · KD %1 ± %2</translation>
    </message>
    <message>
        <source>&lt;p&gt;Classifier: test accuracy %1 %, %2&lt;/p&gt;</source>
        <translation>&lt;p&gt;分类器：测试准确率 %1 %，%2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>&lt;p&gt;Trained the %1: test accuracy &lt;b&gt;%2 %&lt;/b&gt; on %3 images, %4 s.&lt;/p&gt;&lt;p&gt;%5&lt;/p&gt;</source>
        <translation>&lt;p&gt;已训练 %1：在 %3 张图像上的测试准确率 &lt;b&gt;%2 %&lt;/b&gt;，用时 %4 秒。&lt;/p&gt;&lt;p&gt;%5&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Training the Fashion-MNIST classifier…</source>
        <translation>正在训练 Fashion-MNIST 分类器…</translation>
    </message>
    <message>
        <source>Training the Fashion-MNIST classifier</source>
        <translation>训练 Fashion-MNIST 分类器</translation>
    </message>
    <message>
        <source>Also precision/recall and density/coverage</source>
        <translation>同时计算精确率/召回率和密度/覆盖率</translation>
    </message>
    <message>
        <source>Fidelity and diversity apart, in the same features: precision and recall as torch-fidelity computes them (k = 3), density and coverage as clovaai&apos;s prdc (k = 5); the generated set against the reference. Needs two folders or built-in sets.</source>
        <translation>在同一特征空间中分别衡量保真度与多样性：精确率和召回率按 torch-fidelity 的算法（k = 3），密度和覆盖率按 clovaai 的 prdc（k = 5）；以生成集对比参考集。需要两个文件夹或内置数据集。</translation>
    </message>
    <message>
        <source>P · R · D · C</source>
        <translation>精 · 召 · 密 · 覆</translation>
    </message>
    <message>
        <source>&lt;p style=&apos;font-size:large&apos;&gt;Precision &lt;b&gt;%1&lt;/b&gt; · Recall &lt;b&gt;%2&lt;/b&gt; · Density &lt;b&gt;%3&lt;/b&gt; · Coverage &lt;b&gt;%4&lt;/b&gt;&lt;/p&gt;&lt;p&gt;Precision and recall: torch-fidelity&apos;s (k = %5); density and coverage: clovaai&apos;s prdc (k = %6). Precision and density measure fidelity (generated images near real ones), recall and coverage diversity (real images reached by generated ones).&lt;/p&gt;</source>
        <translation>&lt;p style=&apos;font-size:large&apos;&gt;精确率 &lt;b&gt;%1&lt;/b&gt; · 召回率 &lt;b&gt;%2&lt;/b&gt; · 密度 &lt;b&gt;%3&lt;/b&gt; · 覆盖率 &lt;b&gt;%4&lt;/b&gt;&lt;/p&gt;&lt;p&gt;精确率和召回率：torch-fidelity 的算法（k = %5）；密度和覆盖率：clovaai 的 prdc（k = %6）。精确率和密度衡量保真度（生成图像接近真实图像），召回率和覆盖率衡量多样性（真实图像被生成图像覆盖）。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Choose the generated images above (Generated).</source>
        <translation>请在上方选择生成图像（“生成集”）。</translation>
    </message>
    <message>
        <source>History</source>
        <translation>历史</translation>
    </message>
    <message>
        <source>Nearest neighbours</source>
        <translation>最近邻</translation>
    </message>
    <message>
        <source>Each generated image beside its closest training images: memorisation</source>
        <translation>每张生成图像与其最接近的训练图像并列：检查记忆现象</translation>
    </message>
</context>
<context>
    <name>ds::ui::FidReferenceFields</name>
    <message>
        <source>no FID</source>
        <translation>不计算 FID</translation>
    </message>
    <message>
        <source>a folder or statistics file</source>
        <translation>文件夹或统计文件</translation>
    </message>
    <message>
        <source>FID statistics (*.npz)</source>
        <translation>FID 统计文件 (*.npz)</translation>
    </message>
    <message>
        <source>Inception (pytorch-fid)</source>
        <translation>Inception（pytorch-fid）</translation>
    </message>
    <message>
        <source>Fashion-MNIST classifier</source>
        <translation>Fashion-MNIST 分类器</translation>
    </message>
</context>
<context>
    <name>ds::ui::GeneratePage</name>
    <message>
        <source>Generating</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Sampling</source>
        <translation>采样</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt *.pth *.tar);;All files (*)</source>
        <translation>检查点 (*.pt *.pth *.tar);;所有文件 (*)</translation>
    </message>
    <message>
        <source>a checkpoint: ours or a lucidrains model-N.pt</source>
        <translation>检查点：本程序的或 lucidrains 的 model-N.pt</translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>Grid (rows × columns)</source>
        <translation>网格（行 × 列）</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Sampler</source>
        <translation>采样器</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Preview</source>
        <translation>预览</translation>
    </message>
    <message>
        <source>Save…</source>
        <translation>保存…</translation>
    </message>
    <message>
        <source>Images into a folder</source>
        <translation>批量生成到文件夹</translation>
    </message>
    <message>
        <source>For FID, as many images as the test set</source>
        <translation>计算 FID 时，与测试集图像数量相同</translation>
    </message>
    <message>
        <source>an empty folder</source>
        <translation>一个空文件夹</translation>
    </message>
    <message>
        <source>Generate into folder</source>
        <translation>生成到文件夹</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Save grid</source>
        <translation>保存网格</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>Stopped. The folder holds only complete images.</source>
        <translation>已停止。文件夹中只有完整的图像。</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>Choose a checkpoint first.</source>
        <translation>请先选择检查点。</translation>
    </message>
    <message>
        <source>Generating a %1×%2 grid</source>
        <translation>正在生成 %1×%2 网格</translation>
    </message>
    <message>
        <source>%1 images in %2 s</source>
        <translation>%1 张图像，用时 %2 秒</translation>
    </message>
    <message>
        <source>Choose an output folder first.</source>
        <translation>请先选择输出文件夹。</translation>
    </message>
    <message>
        <source>Generating %1 images</source>
        <translation>正在生成 %1 张图像</translation>
    </message>
    <message>
        <source>Wrote %1 images into %2</source>
        <translation>已将 %1 张图像写入 %2</translation>
    </message>
    <message>
        <source>Preview a grid first.</source>
        <translation>请先预览网格。</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>FID statistics (*.npz);;All files (*)</source>
        <translation>FID 统计量 (*.npz);;所有文件 (*)</translation>
    </message>
    <message>
        <source>test set: a folder of images or an .npz</source>
        <translation>测试集：图像文件夹或 .npz 文件</translation>
    </message>
    <message>
        <source>Compute FID of the folder</source>
        <translation>计算该文件夹的 FID</translation>
    </message>
    <message>
        <source>Choose the generated folder and a test set first.</source>
        <translation>请先选择生成的文件夹和测试集。</translation>
    </message>
    <message>
        <source>Test set</source>
        <translation>测试集</translation>
    </message>
    <message>
        <source>Stop the preview or the images being written</source>
        <translation>停止预览或正在写入的图像</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
</context>
<context>
    <name>ds::ui::JobProgressView</name>
    <message>
        <source>%1 / %2 %3</source>
        <translation>%1 / %2 %3</translation>
    </message>
    <message>
        <source> · %1/s</source>
        <translation> · %1/秒</translation>
    </message>
    <message>
        <source> · ETA %1</source>
        <translation> · 预计剩余 %1</translation>
    </message>
    <message>
        <source>steps</source>
        <translation>步</translation>
    </message>
    <message>
        <source>images</source>
        <translation>张图像</translation>
    </message>
    <message>
        <source>runs</source>
        <translation>次运行</translation>
    </message>
    <message>
        <source>entries</source>
        <translation>个条目</translation>
    </message>
    <message>
        <source>‰ of the time span</source>
        <translation>‰（时间区间）</translation>
    </message>
    <message>
        <source>distances</source>
        <translation>个距离</translation>
    </message>
</context>
<context>
    <name>ds::ui::JobStatusWidget</name>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Stop the running job (training saves a checkpoint first)</source>
        <translation>停止正在运行的任务（训练会先保存检查点）</translation>
    </message>
</context>
<context>
    <name>ds::ui::LmdbImportDialog</name>
    <message>
        <source>Import LSUN LMDB</source>
        <translation>导入 LSUN LMDB</translation>
    </message>
    <message>
        <source>Importing LMDB</source>
        <translation>正在导入 LMDB</translation>
    </message>
    <message>
        <source>Database</source>
        <translation>数据库</translation>
    </message>
    <message>
        <source>an LMDB directory (data.mdb, lock.mdb), e.g. cat or bedroom_train_lmdb</source>
        <translation>LMDB 目录（data.mdb、lock.mdb），例如 cat 或 bedroom_train_lmdb</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>导出</translation>
    </message>
    <message>
        <source>Raw: the stored bytes, named as fyu/lsun&apos;s export names them</source>
        <translation>原样：存储的字节，按 fyu/lsun 导出的方式命名</translation>
    </message>
    <message>
        <source>Flat (&lt;out&gt;/&lt;key&gt;.webp, like --flat)</source>
        <translation>扁平（&lt;out&gt;/&lt;key&gt;.webp，同 --flat）</translation>
    </message>
    <message>
        <source>Use the real extension (.jpg, .webp) instead of fyu/lsun&apos;s .webp</source>
        <translation>使用真实扩展名（.jpg、.webp），而不是 fyu/lsun 的 .webp</translation>
    </message>
    <message>
        <source>Resized: shorter side to S, centre crop S×S</source>
        <translation>缩放：短边缩放到 S，居中裁剪为 S×S</translation>
    </message>
    <message>
        <source>all</source>
        <translation>全部</translation>
    </message>
    <message>
        <source>Split into train/ and test/ (random, from the seed)</source>
        <translation>拆分为 train/ 和 test/（随机，由种子决定）</translation>
    </message>
    <message>
        <source>train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>test</source>
        <translation>测试</translation>
    </message>
    <message>
        <source>seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Size and format</source>
        <translation>尺寸和格式</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>数量上限</translation>
    </message>
    <message>
        <source>output folder (created when missing)</source>
        <translation>输出文件夹（不存在时自动创建）</translation>
    </message>
    <message>
        <source>Output</source>
        <translation>输出</translation>
    </message>
    <message>
        <source>Import</source>
        <translation>导入</translation>
    </message>
    <message>
        <source>Cancel import</source>
        <translation>取消导入</translation>
    </message>
    <message>
        <source>Use as training data</source>
        <translation>用作训练数据</translation>
    </message>
    <message>
        <source>Use as FID test set</source>
        <translation>用作 FID 测试集</translation>
    </message>
    <message>
        <source>%1 entries · %2 · formats of the first %3: %4</source>
        <translation>%1 个条目 · %2 · 前 %3 个的格式：%4</translation>
    </message>
    <message>
        <source>(unreadable)</source>
        <translation>（无法读取）</translation>
    </message>
    <message>
        <source>Choose the database and an output folder.</source>
        <translation>请选择数据库和输出文件夹。</translation>
    </message>
    <message>
        <source>Importing…</source>
        <translation>正在导入…</translation>
    </message>
    <message>
        <source>Cancelled. Only complete files were kept; Import again resumes.</source>
        <translation>已取消。只保留了完整的文件；再次导入会继续。</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>%1 written, %2 already there, %3 corrupt entries skipped, %4 keys refused · %5 s (%6 images/s).</source>
        <translation>写入 %1 个，已存在 %2 个，跳过 %3 个损坏条目，拒绝 %4 个键 · %5 秒（%6 张/秒）。</translation>
    </message>
    <message>
        <source> train/: %1 images, test/: %2 images.</source>
        <translation> train/：%1 张图像，test/：%2 张图像。</translation>
    </message>
    <message>
        <source> Report: %1</source>
        <translation> 报告：%1</translation>
    </message>
</context>
<context>
    <name>ds::ui::MainWindow</name>
    <message>
        <source>Diffusion Studio</source>
        <translation>Diffusion Studio</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Diffusion Studio %1&lt;/h3&gt;&lt;p&gt;A workbench for diffusion and flow-matching image models.&lt;/p&gt;&lt;p&gt;Licensed under the GNU General Public License, version 3 or (at your option) any later version (GPL-3.0-or-later). It comes with no warranty.&lt;/p&gt;&lt;p&gt;Built with Qt %2.&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Diffusion Studio %1&lt;/h3&gt;&lt;p&gt;扩散模型与流匹配图像模型的工作台。&lt;/p&gt;&lt;p&gt;依据 GNU 通用公共许可证第 3 版或（由您选择）任何更新版本（GPL-3.0-or-later）授权，不提供任何担保。&lt;/p&gt;&lt;p&gt;基于 Qt %2 构建。&lt;/p&gt;</translation>
    </message>
    <message>
        <source>About Diffusion Studio</source>
        <translation>关于 Diffusion Studio</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Open &amp;checkpoint…</source>
        <translation>打开检查点(&amp;C)…</translation>
    </message>
    <message>
        <source>Open a checkpoint</source>
        <translation>打开检查点</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt *.pth *.tar);;All files (*)</source>
        <translation>检查点 (*.pt *.pth *.tar);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Open &amp;run directory…</source>
        <translation>打开运行目录(&amp;R)…</translation>
    </message>
    <message>
        <source>Open a run directory</source>
        <translation>打开运行目录</translation>
    </message>
    <message>
        <source>Recent runs</source>
        <translation>最近的运行</translation>
    </message>
    <message>
        <source>Recent checkpoints</source>
        <translation>最近的检查点</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>The language changes at the next start.</source>
        <translation>语言将在下次启动时更改。</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About Diffusion Studio</source>
        <translation>关于 Diffusion Studio(&amp;A)</translation>
    </message>
    <message>
        <source>Train</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>%1: does not exist</source>
        <translation>%1：不存在</translation>
    </message>
    <message>
        <source>%1: not a run directory (no config.json)</source>
        <translation>%1：不是运行目录（没有 config.json）</translation>
    </message>
    <message>
        <source>%1: not an image made by Diffusion Studio (no settings in it)</source>
        <translation>%1：不是 Diffusion Studio 生成的图像（其中没有设置）</translation>
    </message>
    <message>
        <source>Import LSUN &amp;LMDB…</source>
        <translation>导入 LSUN &amp;LMDB…</translation>
    </message>
    <message>
        <source>FID</source>
        <translation>FID</translation>
    </message>
    <message>
        <source>Trajectories</source>
        <translation>轨迹</translation>
    </message>
    <message>
        <source>Sampler Explorer</source>
        <translation>采样器浏览器</translation>
    </message>
</context>
<context>
    <name>ds::ui::NeighboursPanel</name>
    <message>
        <source>Training folder</source>
        <translation>训练集文件夹</translation>
    </message>
    <message>
        <source>Fashion-MNIST training set (built in)</source>
        <translation>Fashion-MNIST 训练集（内置）</translation>
    </message>
    <message>
        <source>Fashion-MNIST test set (built in)</source>
        <translation>Fashion-MNIST 测试集（内置）</translation>
    </message>
    <message>
        <source>The images the model learnt from: each generated image is shown beside the ones closest to it</source>
        <translation>模型学习所用的图像：每张生成图像旁显示与其最接近的训练图像</translation>
    </message>
    <message>
        <source>the training images: a folder</source>
        <translation>训练图像：一个文件夹</translation>
    </message>
    <message>
        <source>k = </source>
        <translation>k = </translation>
    </message>
    <message>
        <source>Training images shown per generated image</source>
        <translation>每张生成图像旁显示的训练图像数</translation>
    </message>
    <message>
        <source>in the features above</source>
        <translation>在上方的特征空间中</translation>
    </message>
    <message>
        <source>in pixels</source>
        <translation>在像素空间中</translation>
    </message>
    <message>
        <source>Distances between the feature network&apos;s features (as the FID uses them), or between the pixels themselves (exact copies, shifted ones differ)</source>
        <translation>特征网络的特征之间的距离（与 FID 所用相同），或像素本身之间的距离（完全相同的副本距离为零，平移过的副本则不同）</translation>
    </message>
    <message>
        <source>all rows</source>
        <translation>全部行</translation>
    </message>
    <message>
        <source> rows</source>
        <translation> 行</translation>
    </message>
    <message>
        <source>Generated images on the sheet, the closest to a training image first</source>
        <translation>图表中的生成图像数，与训练图像最接近的排在最前</translation>
    </message>
    <message>
        <source>Find nearest</source>
        <translation>查找最近邻</translation>
    </message>
    <message>
        <source>For every image of the Generated folder above, its k nearest training images, sorted by distance: the images most likely memorised first</source>
        <translation>为上方“生成集”中的每张图像找出 k 张最近的训练图像，按距离排序：最可能被记忆的图像排在最前</translation>
    </message>
    <message>
        <source>Export PNG…</source>
        <translation>导出 PNG…</translation>
    </message>
    <message>
        <source>Export the neighbour sheet</source>
        <translation>导出最近邻图表</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>Choose the training images.</source>
        <translation>请选择训练图像。</translation>
    </message>
    <message>
        <source>Cancelled.</source>
        <translation>已取消。</translation>
    </message>
    <message>
        <source>%1 generated against %2 training images, %3, %4 s. Closest: %5 at %6 from %7.</source>
        <translation>%1 张生成图像对比 %2 张训练图像，%3，%4 秒。最接近的是 %5，与 %7 的距离为 %6。</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在搜索…</translation>
    </message>
    <message>
        <source>Finding nearest neighbours</source>
        <translation>正在查找最近邻</translation>
    </message>
    <message>
        <source>Find the neighbours first.</source>
        <translation>请先查找最近邻。</translation>
    </message>
</context>
<context>
    <name>ds::ui::NfeQualityChart</name>
    <message>
        <source>NFE vs quality</source>
        <translation>NFE 与质量</translation>
    </message>
    <message>
        <source>function evaluations (NFE)</source>
        <translation>函数求值次数 (NFE)</translation>
    </message>
    <message>
        <source>RMS error vs tight dopri5</source>
        <translation>相对高精度 dopri5 的均方根误差</translation>
    </message>
</context>
<context>
    <name>ds::ui::PathField</name>
    <message>
        <source>Browse</source>
        <translation>浏览</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>打开</translation>
    </message>
    <message>
        <source>Save as</source>
        <translation>另存为</translation>
    </message>
    <message>
        <source>Choose a folder</source>
        <translation>选择文件夹</translation>
    </message>
    <message>
        <source>Folder…</source>
        <translation>文件夹…</translation>
    </message>
    <message>
        <source>File…</source>
        <translation>文件…</translation>
    </message>
</context>
<context>
    <name>ds::ui::PlotWidget</name>
    <message>
        <source>step</source>
        <translation>步</translation>
    </message>
    <message>
        <source>Smoothing</source>
        <translation>平滑</translation>
    </message>
    <message>
        <source>Debiased exponential moving average of the raw values (as in TensorBoard)</source>
        <translation>对原始值做去偏指数移动平均（与 TensorBoard 相同）</translation>
    </message>
    <message>
        <source>Log y</source>
        <translation>对数 y</translation>
    </message>
    <message>
        <source>Logarithmic y axis (values &lt;= 0 are not drawn)</source>
        <translation>对数 y 轴（不绘制 &lt;= 0 的值）</translation>
    </message>
    <message>
        <source>Band</source>
        <translation>范围带</translation>
    </message>
    <message>
        <source>Shade the min/max of the raw values behind each drawn point</source>
        <translation>在每个绘制点后用阴影显示原始值的最小/最大范围</translation>
    </message>
    <message>
        <source>Raw</source>
        <translation>原始</translation>
    </message>
    <message>
        <source>Show the unsmoothed values as a faint curve</source>
        <translation>以浅色曲线显示未平滑的值</translation>
    </message>
    <message>
        <source> (min/max)</source>
        <translation>（最小/最大）</translation>
    </message>
    <message>
        <source> (raw)</source>
        <translation>（原始）</translation>
    </message>
</context>
<context>
    <name>ds::ui::PointCloudView</name>
    <message>
        <source>start (t = 0)</source>
        <translation>起点 (t = 0)</translation>
    </message>
    <message>
        <source>particles at t</source>
        <translation>t 时刻的粒子</translation>
    </message>
    <message>
        <source>target sample</source>
        <translation>目标样本</translation>
    </message>
    <message>
        <source>particles at t (colour: class)</source>
        <translation>t 时刻的粒子（颜色：类别）</translation>
    </message>
</context>
<context>
    <name>ds::ui::SamplerExplorerPage</name>
    <message>
        <source>Images in the batch (shown as a grid in every frame)</source>
        <translation>批次中的图像数（每一帧显示为网格）</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Compare with a second run</source>
        <translation>与第二次运行对比</translation>
    </message>
    <message>
        <source>Match noise levels</source>
        <translation>按噪声水平对齐</translation>
    </message>
    <message>
        <source>The shorter run shows its frame nearest in noise level (alpha-bar) to the longer run&apos;s, so runs of different samplers and step counts line up</source>
        <translation>较短的运行显示与较长运行噪声水平（alpha-bar）最接近的帧，使不同采样器、不同步数的运行对齐</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <source>Run A</source>
        <translation>运行 A</translation>
    </message>
    <message>
        <source>Run B</source>
        <translation>运行 B</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Export frame…</source>
        <translation>导出当前帧…</translation>
    </message>
    <message>
        <source>Export strip…</source>
        <translation>导出胶片条…</translation>
    </message>
    <message>
        <source>Export all frames…</source>
        <translation>导出全部帧…</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>NFE vs quality</source>
        <translation>NFE 与质量</translation>
    </message>
    <message>
        <source>%1 failed: %2</source>
        <translation>%1 失败：%2</translation>
    </message>
    <message>
        <source>%1 stopped.</source>
        <translation>%1 已停止。</translation>
    </message>
    <message>
        <source>%1 finished: %2 frames.</source>
        <translation>%1 完成：共 %2 帧。</translation>
    </message>
    <message>
        <source>PNG images (*.png)</source>
        <translation>PNG 图像 (*.png)</translation>
    </message>
    <message>
        <source>Export frame</source>
        <translation>导出当前帧</translation>
    </message>
    <message>
        <source>Export strip</source>
        <translation>导出胶片条</translation>
    </message>
    <message>
        <source>Export all frames into</source>
        <translation>导出全部帧到</translation>
    </message>
    <message>
        <source>Sampling…</source>
        <translation>正在采样…</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Saved %1</source>
        <translation>已保存 %1</translation>
    </message>
    <message>
        <source>nothing to export yet</source>
        <translation>还没有可导出的内容</translation>
    </message>
    <message>
        <source>%1: cannot create the folder</source>
        <translation>%1：无法创建文件夹</translation>
    </message>
    <message>
        <source>Run sweep</source>
        <translation>运行扫描</translation>
    </message>
    <message>
        <source>Every chosen sampler at every step count from run A&apos;s x_T, each compared with a converged solution of the same ODE (DPM-Solver++ 3M with many steps)</source>
        <translation>从运行 A 的 x_T 出发，以每个步数运行所选的每个采样器，并与同一 ODE 的收敛解（多步 DPM-Solver++ 3M）比较</translation>
    </message>
    <message>
        <source>DDIM</source>
        <translation>DDIM</translation>
    </message>
    <message>
        <source>DPM-Solver++ 2M</source>
        <translation>DPM-Solver++ 2M</translation>
    </message>
    <message>
        <source>DPM-Solver++ 3M</source>
        <translation>DPM-Solver++ 3M</translation>
    </message>
    <message>
        <source>UniPC-3</source>
        <translation>UniPC-3</translation>
    </message>
    <message>
        <source>DPM-Solver 3S</source>
        <translation>DPM-Solver 3S</translation>
    </message>
    <message>
        <source>Step counts, separated by commas</source>
        <translation>步数，用逗号分隔</translation>
    </message>
    <message>
        <source>Steps of the DPM-Solver++ 3M reference solution</source>
        <translation>DPM-Solver++ 3M 参考解的步数</translation>
    </message>
    <message>
        <source>Reference steps</source>
        <translation>参考解步数</translation>
    </message>
    <message>
        <source>RMS distance to the converged solution</source>
        <translation>与收敛解的均方根距离</translation>
    </message>
    <message>
        <source>The sweep is still running</source>
        <translation>扫描仍在运行</translation>
    </message>
    <message>
        <source>Choose a checkpoint for run A first.</source>
        <translation>请先为运行 A 选择检查点。</translation>
    </message>
    <message>
        <source>Choose at least one sampler.</source>
        <translation>请至少选择一个采样器。</translation>
    </message>
    <message>
        <source>Steps: whole numbers of at least 1, separated by commas.</source>
        <translation>步数：不小于 1 的整数，用逗号分隔。</translation>
    </message>
    <message>
        <source>Give at least one step count.</source>
        <translation>请至少给出一个步数。</translation>
    </message>
    <message>
        <source>The sweep was stopped.</source>
        <translation>扫描已停止。</translation>
    </message>
    <message>
        <source>The sweep failed: %1</source>
        <translation>扫描失败：%1</translation>
    </message>
    <message>
        <source>The sweep finished.</source>
        <translation>扫描完成。</translation>
    </message>
    <message>
        <source>Running every sampler at every step count…</source>
        <translation>正在以每个步数运行每个采样器…</translation>
    </message>
    <message>
        <source>Errors against %1 (%2 evaluations, %3 s); runs: %4.</source>
        <translation>误差相对于 %1（%2 次求值，%3 秒）；运行次数：%4。</translation>
    </message>
    <message>
        <source>Images of every run when an FID is measured (instead of the image count above); FID needs hundreds or thousands</source>
        <translation>计算 FID 时每次运行的图像数（代替上面的图像数）；FID 需要数百到数千张</translation>
    </message>
    <message>
        <source>FID against</source>
        <translation>FID 参考</translation>
    </message>
    <message>
        <source>Choose the FID reference: a folder of images or a statistics file.</source>
        <translation>请选择 FID 参考：图像文件夹或统计文件。</translation>
    </message>
    <message>
        <source> %1 of every run against %2 on the right.</source>
        <translation> 右侧为每次运行相对 %2 的 %1。</translation>
    </message>
</context>
<context>
    <name>ds::ui::SamplingWidgets</name>
    <message>
        <source>from checkpoint</source>
        <translation>取自检查点</translation>
    </message>
    <message>
        <source>The size the model was trained at; lucidrains&apos; checkpoints do not record it</source>
        <translation>模型训练时的图像尺寸；lucidrains 的检查点不记录该值</translation>
    </message>
</context>
<context>
    <name>ds::ui::TrainPage</name>
    <message>
        <source>Training</source>
        <translation>训练</translation>
    </message>
    <message>
        <source>error: %1</source>
        <translation>错误：%1</translation>
    </message>
    <message>
        <source>Finished.</source>
        <translation>已完成。</translation>
    </message>
    <message>
        <source>Stopped; the run can be continued.</source>
        <translation>已停止；可以继续此运行。</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>Choose data and a preset, then Start.</source>
        <translation>选择数据和预设，然后点击“开始”。</translation>
    </message>
    <message>
        <source>Data</source>
        <translation>数据</translation>
    </message>
    <message>
        <source>Fashion-MNIST (built in)</source>
        <translation>Fashion-MNIST（内置）</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>tiny (CPU, minutes)</source>
        <translation>tiny（CPU，几分钟）</translation>
    </message>
    <message>
        <source>Training images are resized and centre-cropped to this size</source>
        <translation>训练图像会被缩放并居中裁剪到此尺寸</translation>
    </message>
    <message>
        <source>1 (grayscale)</source>
        <translation>1（灰度）</translation>
    </message>
    <message>
        <source>3 (RGB)</source>
        <translation>3（RGB）</translation>
    </message>
    <message>
        <source>U-Net base width</source>
        <translation>U-Net 基础宽度</translation>
    </message>
    <message>
        <source>Width multiplier of each U-Net stage, e.g. 1,2,4</source>
        <translation>U-Net 各阶段的宽度倍数，例如 1,2,4</translation>
    </message>
    <message>
        <source>Preset</source>
        <translation>预设</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>通道数</translation>
    </message>
    <message>
        <source>Width (dim)</source>
        <translation>宽度 (dim)</translation>
    </message>
    <message>
        <source>Stage multipliers</source>
        <translation>阶段倍数</translation>
    </message>
    <message>
        <source>Optimisation</source>
        <translation>优化</translation>
    </message>
    <message>
        <source>Total optimizer steps</source>
        <translation>优化器总步数</translation>
    </message>
    <message>
        <source>Images per step</source>
        <translation>每步图像数</translation>
    </message>
    <message>
        <source>constant</source>
        <translation>恒定</translation>
    </message>
    <message>
        <source>warm-up + linear decay</source>
        <translation>预热 + 线性衰减</translation>
    </message>
    <message>
        <source>cosine</source>
        <translation>余弦</translation>
    </message>
    <message>
        <source>Learning-rate warm-up steps</source>
        <translation>学习率预热步数</translation>
    </message>
    <message>
        <source>A preview grid (EMA weights) every K steps</source>
        <translation>每 K 步生成一张预览网格（EMA 权重）</translation>
    </message>
    <message>
        <source>A checkpoint every K steps</source>
        <translation>每 K 步保存一个检查点</translation>
    </message>
    <message>
        <source>The same seed repeats the same run</source>
        <translation>相同的种子会重复相同的运行</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Batch size</source>
        <translation>批大小</translation>
    </message>
    <message>
        <source>Learning rate</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Schedule</source>
        <translation>调度</translation>
    </message>
    <message>
        <source>Warm-up steps</source>
        <translation>预热步数</translation>
    </message>
    <message>
        <source>EMA decay</source>
        <translation>EMA 衰减</translation>
    </message>
    <message>
        <source>Preview every</source>
        <translation>预览间隔</translation>
    </message>
    <message>
        <source>Checkpoint every</source>
        <translation>检查点间隔</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>The run directory: config, metrics, checkpoints and previews</source>
        <translation>运行目录：配置、指标、检查点和预览</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Saves a checkpoint and stops; Continue goes on from it</source>
        <translation>保存检查点并停止；“继续”会从该检查点接着训练</translation>
    </message>
    <message>
        <source>Open run…</source>
        <translation>打开运行…</translation>
    </message>
    <message>
        <source>Continue</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Overlay run…</source>
        <translation>叠加运行…</translation>
    </message>
    <message>
        <source>Add another run&apos;s curves to the charts</source>
        <translation>将另一次运行的曲线添加到图表</translation>
    </message>
    <message>
        <source>Open a run directory</source>
        <translation>打开运行目录</translation>
    </message>
    <message>
        <source>Overlay a run</source>
        <translation>叠加一次运行</translation>
    </message>
    <message>
        <source>Loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>loss</source>
        <translation>损失</translation>
    </message>
    <message>
        <source>lr</source>
        <translation>学习率</translation>
    </message>
    <message>
        <source>Throughput</source>
        <translation>吞吐量</translation>
    </message>
    <message>
        <source>images/s</source>
        <translation>图像/秒</translation>
    </message>
    <message>
        <source>Loss by timestep</source>
        <translation>按时间步的损失</translation>
    </message>
    <message>
        <source>The mean loss within each tenth of the timesteps: the batch loss mixes easy and hard timesteps, so these curves show progress the mean hides</source>
        <translation>每十分之一时间步区间内的平均损失：批次损失混合了容易和困难的时间步，这些曲线能显示平均值所掩盖的进展</translation>
    </message>
    <message>
        <source>Samples (EMA weights)</source>
        <translation>样本（EMA 权重）</translation>
    </message>
    <message>
        <source>Cannot start: %1</source>
        <translation>无法开始：%1</translation>
    </message>
    <message>
        <source>Training %1</source>
        <translation>训练 %1</translation>
    </message>
    <message>
        <source>%1 is not a run directory</source>
        <translation>%1 不是运行目录</translation>
    </message>
    <message>
        <source>Opened %1: checkpoint at step %2 of %3.</source>
        <translation>已打开 %1：检查点位于第 %2 / %3 步。</translation>
    </message>
    <message>
        <source>this run</source>
        <translation>本次运行</translation>
    </message>
    <message>
        <source>step %1</source>
        <translation>第 %1 步</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>A folder of images or an LSUN LMDB</source>
        <translation>图像文件夹或 LSUN LMDB</translation>
    </message>
    <message>
        <source>images (searched recursively) or an LMDB (data.mdb)</source>
        <translation>图像（递归搜索）或 LMDB（data.mdb）</translation>
    </message>
    <message>
        <source>Import LSUN LMDB…</source>
        <translation>导入 LSUN LMDB…</translation>
    </message>
    <message>
        <source>cfm-tiny (flow matching, CPU minutes)</source>
        <translation>cfm-tiny（流匹配，CPU 几分钟）</translation>
    </message>
    <message>
        <source>Flow path</source>
        <translation>流路径</translation>
    </message>
    <message>
        <source>Data-parallel training processes on this machine; the batch size is per process</source>
        <translation>本机上的数据并行训练进程数；批大小按每个进程计</translation>
    </message>
    <message>
        <source>Processes</source>
        <translation>进程数</translation>
    </message>
    <message>
        <source>%1 processes; images/s counts all of them</source>
        <translation>%1 个进程；图像/秒统计全部进程</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>Images in each preview grid</source>
        <translation>每张预览网格中的图像数</translation>
    </message>
    <message>
        <source>How previews are sampled: a fast solver takes seconds where DDIM-250 takes minutes (flow-matching runs use their ODE solver with these steps)</source>
        <translation>预览的采样方式：快速求解器只需数秒，而 DDIM-250 需要数分钟（流匹配运行使用其 ODE 求解器和此步数）</translation>
    </message>
    <message>
        <source>Preview images</source>
        <translation>预览图像数</translation>
    </message>
    <message>
        <source>Preview sampler</source>
        <translation>预览采样器</translation>
    </message>
    <message>
        <source>step %1 · sampled in %2 s</source>
        <translation>第 %1 步 · 采样用时 %2 秒</translation>
    </message>
    <message>
        <source>Sample quality (FID)</source>
        <translation>样本质量（FID）</translation>
    </message>
    <message>
        <source>Every K steps the EMA weights sample the images below with the preview sampler and their FID against the reference goes to metrics.jsonl; checkpoints/best.pt keeps the lowest</source>
        <translation>每 K 步用 EMA 权重以预览采样器生成下方数量的图像，其相对参考集的 FID 写入 metrics.jsonl；checkpoints/best.pt 保存最低值对应的权重</translation>
    </message>
    <message>
        <source>Images per measurement: FID needs thousands</source>
        <translation>每次测量的图像数：FID 需要数千张</translation>
    </message>
    <message>
        <source>FID every</source>
        <translation>FID 间隔</translation>
    </message>
    <message>
        <source>FID images</source>
        <translation>FID 图像数</translation>
    </message>
    <message>
        <source>Reference</source>
        <translation>参考</translation>
    </message>
    <message>
        <source>Features</source>
        <translation>特征</translation>
    </message>
    <message>
        <source>FID</source>
        <translation>FID</translation>
    </message>
    <message>
        <source>FID against training time</source>
        <translation>FID 随训练时间变化</translation>
    </message>
    <message>
        <source>minutes of training</source>
        <translation>训练分钟数</translation>
    </message>
    <message>
        <source>The FID of the EMA weights&apos; samples at each measurement; the marked point is the lowest, whose weights checkpoints/best.pt holds</source>
        <translation>每次测量时 EMA 权重样本的 FID；标记点为最低值，其权重保存在 checkpoints/best.pt</translation>
    </message>
    <message>
        <source>best.pt</source>
        <translation>best.pt</translation>
    </message>
    <message>
        <source>FID / FD</source>
        <translation>FID / FD</translation>
    </message>
    <message>
        <source>The same against training time</source>
        <translation>同一指标随训练时间变化</translation>
    </message>
    <message>
        <source>lsun64 (lucidrains&apos; LSUN recipe)</source>
        <translation>lsun64（lucidrains 的 LSUN 配方）</translation>
    </message>
    <message>
        <source>lsun128 (lucidrains&apos; LSUN recipe)</source>
        <translation>lsun128（lucidrains 的 LSUN 配方）</translation>
    </message>
    <message>
        <source>cfm-seed (g4vrel/CFM&apos;s recipe)</source>
        <translation>cfm-seed（g4vrel/CFM 的配方）</translation>
    </message>
    <message>
        <source>Also KID</source>
        <translation>同时计算 KID</translation>
    </message>
    <message>
        <source>Kernel inception distance (torch-fidelity&apos;s) in the same features, charted beside the FID; needs the reference&apos;s images (a folder or a built-in set), not an .npz</source>
        <translation>在相同特征中计算核 Inception 距离（torch-fidelity 的算法），与 FID 并列绘制；需要参考集的图像（文件夹或内置数据集），不能是 .npz</translation>
    </message>
    <message>
        <source>KID</source>
        <translation>KID</translation>
    </message>
    <message>
        <source>KID against training time</source>
        <translation>KID 随训练时间的变化</translation>
    </message>
    <message>
        <source>KID (torch-fidelity&apos;s, the mean over subsets) of the same samples in the same features: unbiased, so it compares across sample counts where FID does not</source>
        <translation>相同样本在相同特征中的 KID（torch-fidelity 的算法，子集平均值）：它是无偏的，因此在不同样本数之间可以比较，而 FID 不行</translation>
    </message>
    <message>
        <source>Class-conditional (classifier-free guidance)</source>
        <translation>类别条件（无分类器引导）</translation>
    </message>
    <message>
        <source>How often a label is replaced by the null class while training (cond_drop_prob): what classifier-free guidance pushes away from</source>
        <translation>训练时标签被替换为空类别的概率（cond_drop_prob）：无分类器引导以空类别为参照向外推</translation>
    </message>
    <message>
        <source>Label dropout</source>
        <translation>标签丢弃率</translation>
    </message>
    <message>
        <source>Train on the data&apos;s labels (Fashion-MNIST&apos;s ten classes, or one sub-folder per class): diffusion with lucidrains&apos; class-conditional Unet (classifier_free_guidance.py), flows with a class embedding and a null class. Previews show one row per class; the Generate page and the Explorer then pick a class and a guidance scale.</source>
        <translation>用数据的标签训练（Fashion-MNIST 的十个类别，或每个类别一个子文件夹）：扩散模型使用 lucidrains 的类别条件 Unet（classifier_free_guidance.py），流模型使用类别嵌入和一个空类别。预览每个类别一行；之后可在生成页和采样器浏览器中选择类别和引导强度。</translation>
    </message>
</context>
<context>
    <name>ds::ui::TrajectoryPage</name>
    <message>
        <source>Trajectories</source>
        <translation>轨迹</translation>
    </message>
    <message>
        <source>What to sample</source>
        <translation>采样对象</translation>
    </message>
    <message>
        <source>2-D toy (trains in seconds)</source>
        <translation>二维玩具问题（数秒内训练完成）</translation>
    </message>
    <message>
        <source>Images from a flow-matching checkpoint</source>
        <translation>流匹配检查点生成的图像</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>种子</translation>
    </message>
    <message>
        <source>Configurations</source>
        <translation>配置数</translation>
    </message>
    <message>
        <source>8 Gaussians</source>
        <translation>8 个高斯</translation>
    </message>
    <message>
        <source>Gaussian</source>
        <translation>高斯</translation>
    </message>
    <message>
        <source>Two moons</source>
        <translation>双月</translation>
    </message>
    <message>
        <source>From</source>
        <translation>从</translation>
    </message>
    <message>
        <source>to</source>
        <translation>到</translation>
    </message>
    <message>
        <source>Training steps</source>
        <translation>训练步数</translation>
    </message>
    <message>
        <source>Points</source>
        <translation>点数</translation>
    </message>
    <message>
        <source>Checkpoints (*.pt *.pth *.tar);;All files (*)</source>
        <translation>检查点 (*.pt *.pth *.tar);;所有文件 (*)</translation>
    </message>
    <message>
        <source>Checkpoint</source>
        <translation>检查点</translation>
    </message>
    <message>
        <source>recorded</source>
        <translation>按记录</translation>
    </message>
    <message>
        <source>Images</source>
        <translation>图像数</translation>
    </message>
    <message>
        <source>Image size</source>
        <translation>图像尺寸</translation>
    </message>
    <message>
        <source>Groups</source>
        <translation>分组数</translation>
    </message>
    <message>
        <source>Run</source>
        <translation>运行</translation>
    </message>
    <message>
        <source>NFE vs quality</source>
        <translation>NFE 与质量</translation>
    </message>
    <message>
        <source>Run every solver at several step counts and compare each with a tight dopri5 solution</source>
        <translation>以多种步数运行每个求解器，并与高精度 dopri5 解比较</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>t</source>
        <translation>t</translation>
    </message>
    <message>
        <source>A job is running: stop it first.</source>
        <translation>有任务正在运行：请先停止它。</translation>
    </message>
    <message>
        <source>Choose a flow-matching checkpoint first.</source>
        <translation>请先选择一个流匹配检查点。</translation>
    </message>
    <message numerus="yes">
        <source>Running %n configuration(s)…</source>
        <translation>
            <numerusform>正在运行 %n 个配置…</numerusform>
        </translation>
    </message>
    <message>
        <source>Running every solver at several step counts…</source>
        <translation>正在以多种步数运行每个求解器…</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message numerus="yes">
        <source>%n run(s); the reference (dopri5, tolerance 1e-7) took %1 evaluations and %2 s. Error: root mean square over all coordinates of the final state.</source>
        <translation>
            <numerusform>共 %n 次运行；参考解（dopri5，容差 1e-7）用了 %1 次求值和 %2 秒。误差：终态所有坐标上的均方根。</numerusform>
        </translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>configuration %1: %2</source>
        <translation>配置 %1：%2</translation>
    </message>
    <message>
        <source>Done.</source>
        <translation>完成。</translation>
    </message>
    <message>
        <source>a flow-matching checkpoint: ours or g4vrel/CFM&apos;s .tar</source>
        <translation>流匹配检查点：本程序的或 g4vrel/CFM 的 .tar</translation>
    </message>
    <message>
        <source>GroupNorm groups of g4vrel/CFM&apos;s U-Net: its .tar files do not record them (it used 32)</source>
        <translation>g4vrel/CFM U-Net 的 GroupNorm 分组数：其 .tar 文件不记录该值（它使用 32）</translation>
    </message>
    <message>
        <source>8 Gaussians, labelled by mode</source>
        <translation>8 个高斯分布（按模式标注类别）</translation>
    </message>
    <message>
        <source>Each point&apos;s class is the Gaussian it came from: the toy learns one field per class and an unconditional one, and guidance steers particles to a chosen class</source>
        <translation>每个点的类别是它所来自的高斯分布：玩具模型为每个类别学习一个场，另加一个无条件场，引导把粒子推向所选类别</translation>
    </message>
    <message>
        <source>All classes</source>
        <translation>所有类别</translation>
    </message>
    <message>
        <source>Particle i is steered to class i mod 8: every class in one picture</source>
        <translation>第 i 个粒子被引导到类别 i mod 8：一张图中显示所有类别</translation>
    </message>
    <message>
        <source>Class %1</source>
        <translation>类别 %1</translation>
    </message>
    <message>
        <source>No class (unconditional)</source>
        <translation>无类别（无条件）</translation>
    </message>
    <message>
        <source>Classifier-free guidance scale W: v = v(x, t, no class) + W (v(x, t, class) - v(x, t, no class)). 1: the class&apos;s own field; 0: the unconditional field; above 1: pushed further towards the class</source>
        <translation>无分类器引导强度 W：v = v(x, t, 无类别) + W (v(x, t, 类别) - v(x, t, 无类别))。1：该类别自身的场；0：无条件场；大于 1：更强地推向该类别</translation>
    </message>
    <message>
        <source>Class</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Guidance</source>
        <translation>引导</translation>
    </message>
    <message>
        <source>Run trains the toys for these settings; the class and guidance then redraw at once.</source>
        <translation>“运行”按这些设置训练玩具模型；之后更改类别和引导会立即重绘。</translation>
    </message>
    <message>
        <source>no class</source>
        <translation>无类别</translation>
    </message>
    <message>
        <source>%1 · guidance %2</source>
        <translation>%1 · 引导 %2</translation>
    </message>
    <message>
        <source>all classes</source>
        <translation>所有类别</translation>
    </message>
    <message>
        <source>class %1</source>
        <translation>类别 %1</translation>
    </message>
</context>
<context>
    <name>ds::ui::TrajectoryPanel</name>
    <message>
        <source>Configuration %1</source>
        <translation>配置 %1</translation>
    </message>
    <message>
        <source>Euler</source>
        <translation>欧拉法</translation>
    </message>
    <message>
        <source>Midpoint</source>
        <translation>中点法</translation>
    </message>
    <message>
        <source>RK4 (classic)</source>
        <translation>RK4（经典）</translation>
    </message>
    <message>
        <source>RK4 (3/8 rule)</source>
        <translation>RK4（3/8 规则）</translation>
    </message>
    <message>
        <source>dopri5 (adaptive)</source>
        <translation>dopri5（自适应）</translation>
    </message>
    <message>
        <source>dopri5&apos;s atol and rtol</source>
        <translation>dopri5 的 atol 与 rtol</translation>
    </message>
    <message>
        <source>Path</source>
        <translation>路径</translation>
    </message>
    <message>
        <source>Solver</source>
        <translation>求解器</translation>
    </message>
    <message>
        <source>Steps</source>
        <translation>步数</translation>
    </message>
    <message>
        <source>Tolerance</source>
        <translation>容差</translation>
    </message>
    <message>
        <source>A checkpoint&apos;s path is the one it was trained with</source>
        <translation>检查点的路径即其训练时所用的路径</translation>
    </message>
    <message>
        <source>Failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>straightness %1 · NFE %2 · %3 s</source>
        <translation>直度 %1 · NFE %2 · %3 秒</translation>
    </message>
    <message>
        <source> · energy distance %1</source>
        <translation> · 能量距离 %1</translation>
    </message>
</context>
</TS>
